import { describe, expect, it } from 'vitest';
import { RecentLinks } from '../../server-lib/src/worker/recent-links.js';

describe('RecentLinks', () => {
  const drained = (links: RecentLinks) => {
    const out: string[] = [];
    links.drain((prefix, queue, jobId, requestId, seq, at) => out.push(`${prefix}:${queue}:${jobId} ${requestId}#${seq}@${at}`));
    return out;
  };

  it('hands over the links it keeps, oldest first, then forgets them', () => {
    const links = new RecentLinks(4);
    links.push('bull', 'emails', '1', 'r1', 1, 10);
    links.push('bull', 'emails', '2', 'r1', 2, 11);
    expect(drained(links)).toEqual(['bull:emails:1 r1#1@10', 'bull:emails:2 r1#2@11']);
    expect(drained(links)).toEqual([]);
  });

  it('keeps only the newest `capacity` links', () => {
    const links = new RecentLinks(3);
    for (let id = 1; id <= 5; id += 1) links.push('bull', 'q', String(id), 'r', id, id);
    expect(drained(links)).toEqual(['bull:q:3 r#3@3', 'bull:q:4 r#4@4', 'bull:q:5 r#5@5']);
  });
});
