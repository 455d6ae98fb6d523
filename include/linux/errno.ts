/**
 * errno values, as in Linux's include/uapi/asm-generic/errno-base.h and errno.h.
 * Linux-facing calls return 0 or a negative errno (`return -ENOMEM`).
 */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const ERANGE = 34;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENODATA = 61;
export const ETIME = 62;
export const EPROTO = 71;
export const EBADMSG = 74;
export const EOVERFLOW = 75;
export const ENOTSOCK = 88;
export const EDESTADDRREQ = 89;
export const EMSGSIZE = 90;
export const ENOPROTOOPT = 92;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETDOWN = 100;
export const ENETUNREACH = 101;
export const ECONNABORTED = 103;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ESHUTDOWN = 108;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTDOWN = 112;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;

/** Messages as strerror(3) prints them (glibc wording). */
export const ERRNO_MESSAGES: Readonly<Record<number, string>> = {
  [EPERM]: "Operation not permitted",
  [ENOENT]: "No such file or directory",
  [ESRCH]: "No such process",
  [EINTR]: "Interrupted system call",
  [EIO]: "Input/output error",
  [ENXIO]: "No such device or address",
  [E2BIG]: "Argument list too long",
  [EBADF]: "Bad file descriptor",
  [ECHILD]: "No child processes",
  [EAGAIN]: "Resource temporarily unavailable",
  [ENOMEM]: "Cannot allocate memory",
  [EACCES]: "Permission denied",
  [EFAULT]: "Bad address",
  [EBUSY]: "Device or resource busy",
  [EEXIST]: "File exists",
  [EXDEV]: "Invalid cross-device link",
  [ENODEV]: "No such device",
  [ENOTDIR]: "Not a directory",
  [EISDIR]: "Is a directory",
  [EINVAL]: "Invalid argument",
  [ENFILE]: "Too many open files in system",
  [EMFILE]: "Too many open files",
  [ENOTTY]: "Inappropriate ioctl for device",
  [EFBIG]: "File too large",
  [ENOSPC]: "No space left on device",
  [ESPIPE]: "Illegal seek",
  [EROFS]: "Read-only file system",
  [EMLINK]: "Too many links",
  [EPIPE]: "Broken pipe",
  [ERANGE]: "Numerical result out of range",
  [ENAMETOOLONG]: "File name too long",
  [ENOSYS]: "Function not implemented",
  [ENOTEMPTY]: "Directory not empty",
  [ELOOP]: "Too many levels of symbolic links",
  [ENODATA]: "No data available",
  [ETIME]: "Timer expired",
  [EPROTO]: "Protocol error",
  [EBADMSG]: "Bad message",
  [EOVERFLOW]: "Value too large for defined data type",
  [ENOTSOCK]: "Socket operation on non-socket",
  [EDESTADDRREQ]: "Destination address required",
  [EMSGSIZE]: "Message too long",
  [ENOPROTOOPT]: "Protocol not available",
  [EPROTONOSUPPORT]: "Protocol not supported",
  [EOPNOTSUPP]: "Operation not supported",
  [EAFNOSUPPORT]: "Address family not supported by protocol",
  [EADDRINUSE]: "Address already in use",
  [EADDRNOTAVAIL]: "Cannot assign requested address",
  [ENETDOWN]: "Network is down",
  [ENETUNREACH]: "Network is unreachable",
  [ECONNABORTED]: "Software caused connection abort",
  [ECONNRESET]: "Connection reset by peer",
  [ENOBUFS]: "No buffer space available",
  [EISCONN]: "Transport endpoint is already connected",
  [ENOTCONN]: "Transport endpoint is not connected",
  [ESHUTDOWN]: "Cannot send after transport endpoint shutdown",
  [ETIMEDOUT]: "Connection timed out",
  [ECONNREFUSED]: "Connection refused",
  [EHOSTDOWN]: "Host is down",
  [EHOSTUNREACH]: "No route to host",
  [EALREADY]: "Operation already in progress",
  [EINPROGRESS]: "Operation now in progress",
};

/** strerror(): the message for a (positive or negative) errno. */
export function strerror(err: number): string {
  const e = Math.abs(err);
  return ERRNO_MESSAGES[e] ?? `Unknown error ${e}`;
}

/**
 * Kernel-internal: "restart the system call" after a signal (include/linux/errno.h). Interruptible
 * sleeps return -ERESTARTSYS; the system-call layer turns it into -EINTR for userland.
 */
export const ERESTARTSYS = 512;

/** The symbolic name of errno `err` (positive), as the kernel's %pe prints it; undefined if unknown. */
export function errname(err: number): string | undefined {
  return ERRNO_NAMES[err];
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EPERM]: "EPERM",
  [ENOENT]: "ENOENT",
  [ESRCH]: "ESRCH",
  [EINTR]: "EINTR",
  [EIO]: "EIO",
  [ENXIO]: "ENXIO",
  [E2BIG]: "E2BIG",
  [EBADF]: "EBADF",
  [ECHILD]: "ECHILD",
  [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM",
  [EACCES]: "EACCES",
  [EFAULT]: "EFAULT",
  [EBUSY]: "EBUSY",
  [EEXIST]: "EEXIST",
  [EXDEV]: "EXDEV",
  [ENODEV]: "ENODEV",
  [ENOTDIR]: "ENOTDIR",
  [EISDIR]: "EISDIR",
  [EINVAL]: "EINVAL",
  [ENFILE]: "ENFILE",
  [EMFILE]: "EMFILE",
  [ENOTTY]: "ENOTTY",
  [EFBIG]: "EFBIG",
  [ENOSPC]: "ENOSPC",
  [ESPIPE]: "ESPIPE",
  [EROFS]: "EROFS",
  [EMLINK]: "EMLINK",
  [EPIPE]: "EPIPE",
  [ERANGE]: "ERANGE",
  [ENAMETOOLONG]: "ENAMETOOLONG",
  [ENOSYS]: "ENOSYS",
  [ENOTEMPTY]: "ENOTEMPTY",
  [ELOOP]: "ELOOP",
  [ENODATA]: "ENODATA",
  [ETIME]: "ETIME",
  [EPROTO]: "EPROTO",
  [EBADMSG]: "EBADMSG",
  [EOVERFLOW]: "EOVERFLOW",
  [ENOTSOCK]: "ENOTSOCK",
  [EDESTADDRREQ]: "EDESTADDRREQ",
  [EMSGSIZE]: "EMSGSIZE",
  [ENOPROTOOPT]: "ENOPROTOOPT",
  [EPROTONOSUPPORT]: "EPROTONOSUPPORT",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [EAFNOSUPPORT]: "EAFNOSUPPORT",
  [EADDRINUSE]: "EADDRINUSE",
  [EADDRNOTAVAIL]: "EADDRNOTAVAIL",
  [ENETDOWN]: "ENETDOWN",
  [ENETUNREACH]: "ENETUNREACH",
  [ECONNABORTED]: "ECONNABORTED",
  [ECONNRESET]: "ECONNRESET",
  [ENOBUFS]: "ENOBUFS",
  [EISCONN]: "EISCONN",
  [ENOTCONN]: "ENOTCONN",
  [ESHUTDOWN]: "ESHUTDOWN",
  [ETIMEDOUT]: "ETIMEDOUT",
  [ECONNREFUSED]: "ECONNREFUSED",
  [EHOSTDOWN]: "EHOSTDOWN",
  [EHOSTUNREACH]: "EHOSTUNREACH",
  [EALREADY]: "EALREADY",
  [EINPROGRESS]: "EINPROGRESS",
  [ERESTARTSYS]: "ERESTARTSYS",
};
