/**
 * Sockets as files (net/socket.c's sock_alloc_file and socket_file_ops). The socket layer (net/,
 * installed as InetControl by the `inet` module) numbers its sockets itself; a process reaches one
 * through a File in its descriptor table whose private data is that number. read/write on the
 * descriptor are recv/send, poll is the socket's poll, and releasing the last reference closes the
 * socket — so a socket lives as long as some descriptor (dup, a spawned child's copy) refers to it.
 */
import { EBADF } from "../../include/linux/errno.ts";
import { O_RDWR } from "../../include/uapi/fcntl.ts";
import { POLLNVAL } from "../../include/uapi/in.ts";
import { inet_control } from "../net_control.ts";
import { sock_inode } from "./anon_inodes.ts";
import { File, FMODE_READ, FMODE_WRITE, type FileOperations } from "./file.ts";

const socket_file_ops: FileOperations = {
  read: (f, buf) => inet_control()?.recv(f.private_data as number, buf, 0) ?? -EBADF,
  write: (f, data) => inet_control()?.send(f.private_data as number, data, 0) ?? -EBADF,
  poll(f) {
    const r = inet_control()?.sock_poll(f.private_data as number) ?? -EBADF;
    return typeof r === "number" ? { mask: POLLNVAL, wq: null } : r;
  },
  release(f) {
    inet_control()?.close(f.private_data as number);
  },
};

/** sock_alloc_file(): a File for socket number `id`; its last fput closes the socket. */
export function sock_alloc_file(id: number): File {
  const inode = sock_inode(socket_file_ops);
  const f = new File(null, inode, socket_file_ops, FMODE_READ | FMODE_WRITE, O_RDWR);
  f.private_data = id;
  return f;
}

/** sock_from_file(): the socket number behind `f`, or null when it is not a socket. */
export function sock_from_file(f: File): number | null {
  return f.f_op === socket_file_ops ? (f.private_data as number) : null;
}
