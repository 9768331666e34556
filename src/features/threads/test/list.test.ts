import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createWorkspace, type TestAccount } from "../../../../test/helpers";
import { expectError, fieldsOf, newThread, type ThreadBody, text, threads } from "./thread-helpers";

// GET …/threads: keyset pages in (sort field, id) order — every thread exactly once whatever the
// page size, in both orders of both fields — and cursors that cannot be used with another sort.

let account: TestAccount;
let t: ReturnType<typeof threads>;
beforeAll(async () => {
  account = await createAccount("thread list");
  t = threads(account);
});

/** Every page of a listing, following next_cursor to the end. */
async function allPages(ws: string, query: string) {
  const pages: ThreadBody[][] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const response = await t.list(ws, `${query}${suffix}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response.body.items);
    cursor = response.body.next_cursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

function expectSorted(items: ThreadBody[], field: "created_at" | "updated_at", order: string) {
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [items[i - 1] as ThreadBody, items[i] as ThreadBody];
    const before = a[field] < b[field] || (a[field] === b[field] && a.id < b.id);
    expect(order === "asc" ? before : !before, `${a.id} then ${b.id}`).toBe(true);
  }
}

describe("GET …/threads", () => {
  let ws: string;
  let ids: string[];
  beforeAll(async () => {
    ws = (await createWorkspace(account)).id;
    ids = [];
    // Many share a millisecond: the id breaks ties, so paging must still be exact.
    for (let i = 0; i < 23; i++) {
      ids.push((await newThread(account, ws, { title: `t${i}` })).id);
    }
    // Touch some, out of creation order, so updated_at order differs from created_at order.
    for (const index of [5, 17, 0, 11]) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await t.patch(ws, ids[index] as string, { title: `touched ${index}` });
    }
  });

  it("Should default to updated_at desc, 20 a page, without messages", async () => {
    const response = await t.list(ws);
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(20);
    expect(response.body.next_cursor).toEqual(expect.any(String));
    expect(response.body.items.slice(0, 4).map((item) => item.id)).toEqual(
      [11, 0, 17, 5].map((index) => ids[index]),
    );
    expectSorted(response.body.items, "updated_at", "desc");
    expect(response.body.items[0]).not.toHaveProperty("messages");
  });

  for (const field of ["created_at", "updated_at"] as const) {
    for (const order of ["asc", "desc"]) {
      for (const limit of [1, 4, 7, 23, 100]) {
        it(`Should page by ${field} ${order}, ${limit} at a time, with no duplicates or gaps`, async () => {
          const pages = await allPages(ws, `sort_by=${field}&sort_order=${order}&limit=${limit}`);
          const items = pages.flat();
          expect(items.map((item) => item.id).sort()).toEqual([...ids].sort());
          expectSorted(items, field, order);
          for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
          expect(pages.at(-1)?.length).toBeGreaterThan(0);
        });
      }
    }
  }

  it("Should list created_at asc in creation order", async () => {
    const items = (await allPages(ws, "sort_by=created_at&sort_order=asc&limit=100")).flat();
    expect(items.map((item) => item.id)).toEqual(ids);
  });

  it("Should refuse a cursor from another sort, a forged cursor and bad parameters", async () => {
    const first = await t.list(ws, "sort_by=created_at&sort_order=asc&limit=2");
    const cursor = encodeURIComponent(first.body.next_cursor as string);
    const mismatched = await t.list(ws, `sort_by=updated_at&sort_order=asc&cursor=${cursor}`);
    expectError(mismatched, 400, "invalid_request");
    expect(fieldsOf(mismatched)).toEqual(["cursor"]);
    expectError(
      await t.list(ws, `sort_order=desc&sort_by=created_at&cursor=${cursor}`),
      400,
      "invalid_request",
    );
    expectError(await t.list(ws, "cursor=not-a-cursor"), 400, "invalid_request");
    const forged = btoa(JSON.stringify({ s: "title", o: "asc", v: "x", id: "y" }));
    expectError(await t.list(ws, `cursor=${forged}`), 400, "invalid_request");
    for (const query of ["limit=0", "limit=101", "limit=abc", "sort_by=title", "sort_order=up"]) {
      const response = await t.list(ws, query);
      expectError(response, 400, "invalid_request");
      expect(fieldsOf(response)).toContain(query.split("=")[0]);
    }
  });

  it("Should show a thread's index fields in the list", async () => {
    const own = (await createWorkspace(account)).id;
    const thread = await newThread(account, own, {
      title: "with messages",
      messages: [text("a", "user", "question"), text("b", "assistant", "the answer")],
    });
    const [item] = (await t.list(own)).body.items;
    expect(item).toMatchObject({
      id: thread.id,
      message_count: 2,
      last_message_preview: "the answer",
      etag: thread.etag,
    });
  });

  it("Should answer an empty page for a workspace without threads", async () => {
    const empty = (await createWorkspace(account)).id;
    expect((await t.list(empty)).body).toEqual({ items: [], next_cursor: null });
  });
});
