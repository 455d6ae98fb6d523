/**
 * Inodes that no directory names (fs/anon_inodes.c, net/socket.c's sockfs): the kernel's own
 * console descriptors and sockets. They live on pseudo super blocks that are never mounted, so
 * fstat() on such a descriptor has a device, an inode number and a type, as on Linux.
 */
import { S_IFSOCK, type Statfs } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { Dentry } from "./dcache.ts";
import type { FileOperations } from "./file.ts";
import { Inode, SuperBlock, type FileSystemType } from "./inode.ts";

/** ANON_INODE_FS_MAGIC and SOCKFS_MAGIC (include/uapi/linux/magic.h). */
const ANON_INODE_FS_MAGIC = 0x09041934;
const SOCKFS_MAGIC = 0x534f434b;

function pseudo_fs(name: string, magic: number): FileSystemType {
  const type: FileSystemType = {
    name,
    nodev: true,
    mount: () => {
      const sb = new SuperBlock(type, {
        statfs: (): Statfs => ({ f_type: magic, f_bsize: 4096, f_blocks: 0, f_bfree: 0, f_bavail: 0, f_files: 0, f_ffree: 0, f_namelen: 255, f_frsize: 4096, f_flags: 0 }),
      });
      const root = new Inode(sb, 0o40755, {}, {});
      sb.s_root = new Dentry("/", null, root);
      return sb;
    },
  };
  return type;
}

const anon_fs = pseudo_fs("anon_inodefs", ANON_INODE_FS_MAGIC);
const sockfs = pseudo_fs("sockfs", SOCKFS_MAGIC);

const pseudo_sbs = DEFINE_PER_KERNEL(() => ({ anon: anon_fs.mount("", 0, "") as SuperBlock, sock: sockfs.mount("", 0, "") as SuperBlock }));

/** anon_inode_getfile()'s inode: a fresh inode of `mode` on the anonymous pseudo file system. */
export function anon_inode(mode: number, fops: FileOperations): Inode {
  return new Inode(pseudo_sbs.get().anon, mode, {}, fops);
}

/** sock_alloc_inode(): a socket's inode on sockfs (S_IFSOCK | 0777). */
export function sock_inode(fops: FileOperations): Inode {
  return new Inode(pseudo_sbs.get().sock, S_IFSOCK | 0o777, {}, fops);
}
