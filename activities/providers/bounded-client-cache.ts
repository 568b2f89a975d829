interface Closable {
  close(): Promise<void>;
}

/**
 * One client per base URL, at most `max` of them: the least recently used one is closed (after its requests
 * finish) when another is needed. `close()` closes them all, including those still closing.
 */
export class BoundedClientCache<C extends Closable> {
  readonly #max: number;
  readonly #create: (baseUrl: string) => C;
  readonly #clients = new Map<string, C>();
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(max: number, create: (baseUrl: string) => C) {
    this.#max = max;
    this.#create = create;
  }

  get size(): number {
    return this.#clients.size;
  }

  get(baseUrl: string): C {
    if (this.#closed) throw new Error('client cache is closed');
    const existing = this.#clients.get(baseUrl);
    if (existing) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.#clients.delete(baseUrl);
      this.#clients.set(baseUrl, existing);
      return existing;
    }
    const client = this.#create(baseUrl);
    this.#clients.set(baseUrl, client);
    while (this.#clients.size > this.#max) {
      const [oldestUrl, oldest] = this.#clients.entries().next().value as [string, C];
      this.#clients.delete(oldestUrl);
      this.#retire(oldest);
    }
    return client;
  }

  #retire(client: C): void {
    const closing: Promise<void> = client
      .close()
      .catch(() => undefined)
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all([...open.map((client) => client.close()), ...this.#closing]);
  }
}
