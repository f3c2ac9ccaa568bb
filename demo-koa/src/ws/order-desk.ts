import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ShopQueues } from '../queues.js';

/** The token the page's "live order desk" connects with; anything else is refused with 401. */
export const DESK_TOKEN = 'desk-demo';
/** The desk closes a connection with code 4000 after this long without a command. */
const IDLE_MS = Number(process.env.DESK_IDLE_MS ?? 60_000);

interface DeskCommand {
  cmd: string;
  orderId?: number;
  items?: number;
}

/**
 * The "live order desk": a plain `ws` WebSocketServer on `/desk` of the shop's HTTP server.
 * Taskscope records it with no code here: its connections, messages, refusals, and the jobs
 * each command enqueues.
 *
 * @example
 * ```ts
 * const desk = attachOrderDesk(server, queues);
 * // on shutdown: desk.close();
 * ```
 */
export function attachOrderDesk(server: Server, queues: ShopQueues): WebSocketServer {
  const wss = new WebSocketServer({
    server,
    path: '/desk',
    verifyClient: (info, done) => {
      const token = new URL(info.req.url ?? '/', 'http://desk').searchParams.get('token');
      if (token === DESK_TOKEN) done(true);
      else done(false, 401, 'Unauthorized: bad desk token');
    },
  });
  // The HTTP server's errors are re-emitted here; main.ts handles them on the server itself.
  wss.on('error', (error) => console.error(`order desk: ${error.message}`));
  wss.on('connection', (socket) => {
    let idle = setTimeout(() => socket.close(4000, 'idle: no command for a while'), IDLE_MS);
    socket.on('message', async (data, isBinary) => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.close(4000, 'idle: no command for a while'), IDLE_MS);
      if (isBinary) {
        socket.send(JSON.stringify({ ok: true, received: `${(data as Buffer).length} bytes` }));
        return;
      }
      try {
        const command = JSON.parse(String(data)) as DeskCommand;
        // Browsers cannot send a ping frame: the desk pings the page, whose browser answers with a pong.
        if (command.cmd === 'ping') {
          socket.ping('desk');
          socket.send(JSON.stringify({ ok: true, pinged: true }));
          return;
        }
        socket.send(JSON.stringify(await runCommand(queues, command)));
      } catch (error) {
        socket.send(JSON.stringify({ ok: false, error: (error as Error).message }));
      }
    });
    socket.on('close', () => clearTimeout(idle));
    socket.on('error', () => {});
    socket.send(JSON.stringify({ hello: 'order desk', commands: ['place-order', 'restock', 'ping'] }));
  });
  return wss;
}

async function runCommand(queues: ShopQueues, command: DeskCommand): Promise<object> {
  const orderId = command.orderId ?? Math.floor(Math.random() * 9000) + 1000;
  if (command.cmd === 'place-order') {
    const items = Math.min(Math.max(command.items ?? 5, 1), 20);
    await queues.fraud.add('desk-fraud-check', { orderId }, { priority: 1 });
    // One reservation per item, one by one: the N+1 the panel flags under this message.
    for (let line = 1; line <= items; line++) {
      await queues.warehouse.add('reserve-item', { orderId, line });
    }
    await queues.emails.add('desk-confirmation', { orderId, to: 'desk@example.com' });
    return { ok: true, orderId, jobs: items + 2 };
  }
  if (command.cmd === 'restock') {
    await queues.warehouse.addBulk([1, 2, 3].map((shelf) => ({ name: 'restock-shelf', data: { shelf } })));
    return { ok: true, jobs: 3 };
  }
  return { ok: false, error: `unknown command ${command.cmd}` };
}
