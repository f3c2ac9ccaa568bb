/**
 * The newest `capacity` items, oldest first: a ring over one array, so keeping an item is one
 * store (never a shift of the whole buffer, as `Array#shift` of a full buffer would be).
 *
 * @example
 * ```ts
 * const ring = new MessageRing<number>(2);
 * ring.push(1); ring.push(2); ring.push(3); // true: 1 made room
 * ring.toArray(); // [2, 3]
 * ```
 */
export class MessageRing<T> {
  private readonly items: T[] = [];
  /** Where the next item goes once full: the oldest kept. */
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Keeps `item`; true when the oldest one made room for it. */
  push(item: T): boolean {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return false;
    }
    this.items[this.next] = item;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    return true;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.next === 0 ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}
