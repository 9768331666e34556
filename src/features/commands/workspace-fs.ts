import type {
  CpOptions,
  FileContent,
  FsStat,
  IFileSystem,
  MkdirOptions,
  RmOptions,
} from "just-bash";
import { ApiError } from "../../http/errors";
import type { FileEntry } from "../files/file-index";
import { canonicalPath, pathProblem } from "../files/paths";
import { contentBytes, type EncodingArg } from "./encoding";

// The workspace's files as just-bash sees them (mounted at /workspace, see shell-runner.ts).
// Reads go to the file index and R2; every write, delete, mkdir and move goes through the same
// DO code paths as the files API (quota, parent directories, events, immutable R2 objects named
// by id), given here as a FileHost. Paths arrive relative to the mount ("/" is the root).

/** What the DO lends the shell: the index, reads of objects, and the files API's writes. */
export interface FileHost {
  row(path: string): (FileEntry & { objectKey: string | null }) | null;
  children(path: string): FileEntry[];
  allPaths(): string[];
  readObject(objectKey: string): Promise<Uint8Array>;
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  move(from: string, to: string): Promise<void>;
}

const decoder = new TextDecoder();

/** An errno-style error, the shape just-bash's commands print (`cat: x: No such file…`). */
const fsError = (code: string, text: string, op: string, path: string) =>
  Object.assign(new Error(`${code}: ${text}, ${op} '${path}'`), { code });
const noEntry = (op: string, path: string) =>
  fsError("ENOENT", "no such file or directory", op, path);

/** "/a/./b/../c" → "a/c"; "" is the root. Never escapes the root (".." at the top stays there). */
export const indexPath = (path: string) => canonicalPath(path, { resolveDots: true });

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

export class WorkspaceFs implements IFileSystem {
  /** Bytes read in this execution, by R2 key: objects are immutable, so a key's bytes never change. */
  private readonly cache = new Map<string, Uint8Array>();
  /**
   * Files emptied but not yet written. A redirection (`> f`) opens its file by writing it empty
   * and then writes what the command printed; storing both would be two R2 objects and two
   * file events for one change. The empty write waits here for the next write of the path (which
   * replaces it) and is stored if none comes — by the next operation that needs the index to be
   * true (rm, mv, cp, a listing) or at the end of the run (`flush`).
   */
  private readonly emptied = new Set<string>();

  constructor(private readonly host: FileHost) {}

  /** Stores the emptied files no later write replaced. The shell runner calls it at the end. */
  async flush(): Promise<void> {
    for (const target of [...this.emptied]) {
      this.emptied.delete(target);
      await this.guardAsync(() => this.host.writeFile(target, new Uint8Array(0)));
    }
  }

  async readFile(path: string): Promise<string> {
    return decoder.decode(await this.readFileBuffer(path));
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    if (this.emptied.has(indexPath(path))) return new Uint8Array(0);
    const row = this.host.row(indexPath(path));
    if (!row) throw noEntry("open", path);
    if (row.kind === "directory") {
      throw fsError("EISDIR", "illegal operation on a directory", "read", path);
    }
    const key = row.objectKey as string;
    let bytes = this.cache.get(key);
    if (!bytes) {
      bytes = await this.host.readObject(key);
      this.cache.set(key, bytes);
    }
    return bytes;
  }

  async writeFile(path: string, content: FileContent, options?: EncodingArg): Promise<void> {
    const bytes = contentBytes(content, options);
    if (bytes.byteLength === 0) this.empty(path);
    else await this.write(path, bytes);
  }

  async appendFile(path: string, content: FileContent, options?: EncodingArg): Promise<void> {
    const added = contentBytes(content, options);
    const target = indexPath(path);
    const isFile = this.emptied.has(target) || this.host.row(target)?.kind === "file";
    // `>> f` opens with an empty append: nothing changes, unless it creates the file.
    if (added.byteLength === 0) {
      if (!isFile) this.empty(path);
      return;
    }
    const current = isFile ? await this.readFileBuffer(path) : new Uint8Array(0);
    await this.write(path, concat(current, added));
  }

  async exists(path: string): Promise<boolean> {
    const target = indexPath(path);
    return target === "" || this.emptied.has(target) || this.host.row(target) !== null;
  }

  async stat(path: string): Promise<FsStat> {
    const target = indexPath(path);
    if (target === "") {
      return {
        isFile: false,
        isDirectory: true,
        isSymbolicLink: false,
        mode: 0o755,
        size: 0,
        mtime: new Date(0),
      };
    }
    if (this.emptied.has(target)) {
      return {
        isFile: true,
        isDirectory: false,
        isSymbolicLink: false,
        mode: 0o644,
        size: 0,
        mtime: new Date(),
      };
    }
    const row = this.host.row(target);
    if (!row) throw noEntry("stat", path);
    return {
      isFile: row.kind === "file",
      isDirectory: row.kind === "directory",
      isSymbolicLink: false,
      mode: row.kind === "directory" ? 0o755 : 0o644,
      size: row.size,
      mtime: new Date(row.updated_at),
    };
  }

  lstat(path: string): Promise<FsStat> {
    return this.stat(path);
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    const target = indexPath(path);
    if (target === "") {
      if (options?.recursive) return;
      throw fsError("EEXIST", "file already exists", "mkdir", path);
    }
    const existing = this.host.row(target);
    if (existing) {
      if (existing.kind === "directory" && options?.recursive) return;
      throw fsError("EEXIST", "file already exists", "mkdir", path);
    }
    const parent = target.includes("/") ? target.slice(0, target.lastIndexOf("/")) : "";
    if (!options?.recursive && parent !== "" && this.host.row(parent)?.kind !== "directory") {
      throw noEntry("mkdir", path);
    }
    this.checkName(target, "mkdir", path);
    await this.guardAsync(() => this.host.mkdir(target));
  }

  async readdir(path: string): Promise<string[]> {
    await this.flush();
    return this.entries(path).map((entry) => entry.name);
  }

  async readdirWithFileTypes(path: string) {
    await this.flush();
    return this.entries(path).map((entry) => ({
      name: entry.name,
      isFile: entry.kind === "file",
      isDirectory: entry.kind === "directory",
      isSymbolicLink: false,
    }));
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    await this.flush();
    const target = indexPath(path);
    if (target === "") throw fsError("EPERM", "the workspace root cannot be removed", "rm", path);
    const row = this.host.row(target);
    if (!row) {
      if (options?.force) return;
      throw noEntry("rm", path);
    }
    if (row.kind === "directory" && !options?.recursive && this.host.children(target).length > 0) {
      throw fsError("ENOTEMPTY", "directory not empty", "rm", path);
    }
    await this.guardAsync(() => this.host.remove(target));
  }

  async cp(src: string, dest: string, options?: CpOptions): Promise<void> {
    await this.flush();
    const from = indexPath(src);
    const row = from === "" ? null : this.host.row(from);
    if (!row) throw noEntry("cp", src);
    if (row.kind === "file") return this.write(dest, await this.readFileBuffer(src));
    if (!options?.recursive) throw fsError("EISDIR", "is a directory", "cp", src);
    await this.mkdir(dest, { recursive: true });
    for (const child of this.host.children(from)) {
      await this.cp(`/${child.path}`, `${dest}/${child.name}`, options);
    }
  }

  async mv(src: string, dest: string): Promise<void> {
    await this.flush();
    const from = indexPath(src);
    const to = indexPath(dest);
    if (from === "" || !this.host.row(from)) throw noEntry("rename", src);
    if (to === "") throw fsError("EEXIST", "file already exists", "rename", dest);
    this.checkName(to, "rename", dest);
    await this.guardAsync(() => this.host.move(from, to));
  }

  resolvePath(base: string, path: string): string {
    return `/${indexPath(path.startsWith("/") ? path : `${base}/${path}`)}`;
  }

  getAllPaths(): string[] {
    const stored = this.host.allPaths();
    const pending = [...this.emptied].filter((path) => !stored.includes(path));
    return ["/", ...[...stored, ...pending].map((path) => `/${path}`)];
  }

  async chmod(path: string): Promise<void> {
    // Workspace files have no modes; the call only has to find the file.
    if (!(await this.exists(path))) throw noEntry("chmod", path);
  }

  async utimes(path: string): Promise<void> {
    if (!(await this.exists(path))) throw noEntry("utimes", path);
  }

  async symlink(_target: string, linkPath: string): Promise<void> {
    throw fsError("EPERM", "the workspace has no symbolic links", "symlink", linkPath);
  }

  async link(_existing: string, newPath: string): Promise<void> {
    throw fsError("EPERM", "the workspace has no hard links", "link", newPath);
  }

  async readlink(path: string): Promise<string> {
    throw fsError("EINVAL", "invalid argument", "readlink", path);
  }

  async realpath(path: string): Promise<string> {
    if (!(await this.exists(path))) throw noEntry("realpath", path);
    return `/${indexPath(path)}`;
  }

  private entries(path: string): FileEntry[] {
    const target = indexPath(path);
    if (target !== "") {
      const row = this.host.row(target);
      if (!row) throw noEntry("scandir", path);
      if (row.kind !== "directory") throw fsError("ENOTDIR", "not a directory", "scandir", path);
    }
    return this.host.children(target);
  }

  private async write(path: string, bytes: Uint8Array): Promise<void> {
    const target = this.writable(path);
    this.emptied.delete(target);
    await this.guardAsync(() => this.host.writeFile(target, bytes));
  }

  /** An empty write, held back until the path is written again or the run ends. */
  private empty(path: string): void {
    this.emptied.add(this.writable(path));
  }

  /** The index path a write may go to: not the root, not a directory, a name the API allows. */
  private writable(path: string): string {
    const target = indexPath(path);
    if (target === "" || this.host.row(target)?.kind === "directory") {
      throw fsError("EISDIR", "illegal operation on a directory", "open", path);
    }
    this.checkName(target, "open", path);
    return target;
  }

  /** The files API's path rules hold for the shell too: a name it refuses is refused here. */
  private checkName(target: string, op: string, path: string): void {
    const problem = pathProblem(target);
    if (problem) throw fsError("EINVAL", problem, op, path);
  }

  /** The files API's refusals (quota, a file where a directory must be) as errno errors. */
  private async guardAsync(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const code =
    error.code === "quota_exceeded" ? "EDQUOT" : error.code === "not_found" ? "ENOENT" : "EIO";
  return Object.assign(new Error(`${code}: ${error.message}`), { code });
}
