/**
 * The root file system (init/do_mounts.c, init/noinitramfs.c, reduced): a tmpfs at `/` holding
 *
 *   /bin   one entry per built-in program (the initramfs's; mode 0755, no bytes: they are built in)
 *   /dev   console, full, null, random, tty, urandom, zero (character devices, kernel/fs/chrdev.ts)
 *   /etc   hostname (the kernel's nodename), hosts, resolv.conf → /proc/net/pnp (as Linux's
 *          ip=dhcp setups link it, so the DHCP lease's name servers are the resolver's), passwd
 *          and group (root, and Debian's nobody/nogroup)
 *   /mnt, /root, /tmp (1777), and /proc and /sys with proc and sysfs mounted on them
 *   /mnt/host with the host directory the machine shares (hostfs, kernel/fs/hostfs.ts), when it
 *          shares one: read-only unless shared rw, nosuid and nodev (an fstab line's worth)
 *
 * then the boot loader's data files (kernel/fs/initramfs.ts), and /proc/mounts, /proc/filesystems. The tmpfs gets Linux's default limits (half of RAM).
 */
import { strerror } from "../../include/linux/errno.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { S_IFCHR, S_ISVTX } from "../../include/uapi/stat.ts";
import { totalram_pages } from "../mm/page_alloc.ts";
import { program_names } from "../process.ts";
import { pr_err } from "../printk.ts";
import { utsname } from "../syscalls.ts";
import { DEFAULT_DEV_NODES } from "./chrdev.ts";
import type { Dentry } from "./dcache.ts";
import { File, FMODE_WRITE, fput } from "./file.ts";
import { hostfs_fs_type, hostfs_ops } from "./hostfs.ts";
import { unpack_to_rootfs } from "./initramfs.ts";
import { proc_fs_type, sysfs_fs_type } from "./kernfs_vfs.ts";
import { do_mount, Mount, MntNamespace, register_filesystem, show_filesystems, show_mounts } from "./namespace.ts";
import { proc_create } from "./proc.ts";
import { shmem_fill_super, shmem_fs_type } from "./tmpfs.ts";

/** init_mount_tree(): the file-system types, and a tmpfs as the root mount. */
export function init_rootfs(): MntNamespace {
  register_filesystem(sysfs_fs_type);
  register_filesystem(shmem_fs_type);
  register_filesystem(proc_fs_type);
  if (hostfs_ops() !== null) register_filesystem(hostfs_fs_type);
  const half = Math.max(1, Math.floor(totalram_pages() / 2));
  const sb = shmem_fill_super(half, half, 0o755);
  return new MntNamespace(new Mount(sb, "tmpfs", 0, null, null));
}

function mkdir(dir: Dentry, name: string, mode: number): Dentry {
  const d = dir.d_inode.i_op.mkdir!(dir, name, mode);
  if (typeof d === "number") throw new Error(`rootfs: mkdir ${name}: ${d}`);
  return d;
}

function create_file(dir: Dentry, name: string, mode: number, text: string): void {
  const d = dir.d_inode.i_op.create!(dir, name, mode);
  if (typeof d === "number") throw new Error(`rootfs: create ${name}: ${d}`);
  if (text === "") return;
  const f = new File(null, d.d_inode, d.d_inode.i_fop, FMODE_WRITE, O_WRONLY);
  void f.f_op.write!(f, new TextEncoder().encode(text));
  fput(f);
}

/** default_rootfs() and the mounts init makes: fill the root tmpfs. */
export function populate_rootfs(ns: MntNamespace): void {
  const root = ns.root.mnt_root;
  const bin = mkdir(root, "bin", 0o755);
  for (const name of program_names()) create_file(bin, name, 0o755, "");
  const dev = mkdir(root, "dev", 0o755);
  for (const n of DEFAULT_DEV_NODES) dev.d_inode.i_op.mknod!(dev, n.name, S_IFCHR | n.perm, n.rdev);
  const etc = mkdir(root, "etc", 0o755);
  const host = utsname().nodename;
  create_file(etc, "hostname", 0o644, `${host}\n`);
  create_file(etc, "hosts", 0o644, `127.0.0.1\tlocalhost\n127.0.1.1\t${host}\n`);
  etc.d_inode.i_op.symlink!(etc, "resolv.conf", "/proc/net/pnp");
  // The accounts of a minimal Debian system: root (everything runs as uid 0) and nobody/nogroup.
  create_file(etc, "passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  create_file(etc, "group", 0o644, "root:x:0:\nnogroup:x:65534:\n");
  const mnt = mkdir(root, "mnt", 0o755);
  const proc = mkdir(root, "proc", 0o555);
  mkdir(root, "root", 0o700);
  const sys = mkdir(root, "sys", 0o555);
  mkdir(root, "tmp", S_ISVTX | 0o777);
  const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  do_mount("proc", { mnt: ns.root, dentry: proc }, "proc", flags, "");
  do_mount("sysfs", { mnt: ns.root, dentry: sys }, "sysfs", flags, "");
  const share = hostfs_ops();
  if (share !== null) {
    const host = mkdir(mnt, "host", 0o755);
    const r = do_mount("hostfs", { mnt: ns.root, dentry: host }, "hostfs", MS_NOSUID | MS_NODEV | (share.read_only ? MS_RDONLY : 0), "");
    if (r < 0) pr_err("hostfs: cannot mount %s on /mnt/host: %s\n", share.root, strerror(r));
  }
  unpack_to_rootfs(root);
  proc_create("mounts", show_mounts);
  proc_create("filesystems", show_filesystems);
}
