/**
 * `t.after` hooks run in the order they were added, but cleanup must run in reverse: a broker
 * must stop before its temp dir is removed. `defer(t, fn)` keeps one LIFO stack per test.
 */
interface TestContext {
  after(fn: () => unknown): void;
}

const stacks = new WeakMap<TestContext, (() => unknown)[]>();

export function defer(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const created: (() => unknown)[] = [];
    stack = created;
    stacks.set(t, created);
    t.after(async () => {
      for (let next = created.pop(); next; next = created.pop()) await next();
    });
  }
  stack.push(fn);
}
