// A stand-in for anywidget's widget model (Backbone-like: set fires change:<name>
// synchronously, for Python-side and local changes alike), shared by the widget tests.

export class FakeModel {
  attrs: Record<string, unknown>;
  handlers = new Map<string, Set<() => void>>();
  saves = 0;
  sets: [string, unknown][] = [];
  constructor(attrs: Record<string, unknown>) {
    this.attrs = { ...attrs };
  }
  get(name: string): unknown {
    return this.attrs[name];
  }
  set(name: string, value: unknown): void {
    this.sets.push([name, value]);
    this.attrs[name] = value;
    for (const h of this.handlers.get(`change:${name}`) ?? []) h();
  }
  /** a change coming from Python */
  remote(changes: Record<string, unknown>): void {
    Object.assign(this.attrs, changes);
    for (const name of Object.keys(changes)) for (const h of this.handlers.get(`change:${name}`) ?? []) h();
  }
  save_changes(): void {
    this.saves++;
  }
  on(event: string, cb: () => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(cb);
  }
  off(event?: string | null, cb?: (() => void) | null): void {
    if (event && cb) this.handlers.get(event)?.delete(cb);
  }
  listeners(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }
}
