/**
 * The agent that runs in the container for the whole sync session: a constant POSIX `sh` script, started once over
 * exec, that needs only `sh`, `tar` and the usual file tools (`find`, `rm`, `mv`, `mkdir`). The work directory is its
 * only argument; every path arrives on stdin as data, is decoded with `printf %b` and checked (relative, no `..`, no
 * symlinked parent) before use. Nothing is ever spliced into the script.
 *
 * An archive may come compressed with a decompressor the agent found (`READY` names them): it then arrives as a
 * plain tar archive of chunks whose contents, one after the other, are the compressed stream. That outer archive
 * ends where its records end, as every archive on the channel does, so the channel stays open after it; a
 * decompressor reading the channel itself would read past its end, into the next command. `READY version hash
 * list decompressors` opens the conversation: the hashing tool (or `-`), whether `find -printf` works, and the
 * decompressors that do (comma-separated, or `-`).
 *
 * Commands, one line each: `X id z` extracts the tar archive that follows (`z`: its compression, `-` for none);
 * `P id n z` extracts it aside and renames the n listed paths into place, each only if the container still holds
 * the version the line after it names (`-` for any, `0` for none, `f size seconds.nanoseconds` for that file);
 * `D id n` deletes n paths, each with the same kind of expectation; `R id n` renames n pairs; `L id n` lists the
 * tree (pruning n paths) as NUL-separated `find -printf` records; `S id n` lists n given paths (with n = 0, a
 * no-op that measures the round trip); `H id n` hashes n files; `C id n` writes a tar archive of n paths. Each
 * answer ends with `DONE id exitCode length` and `length` bytes of error text.
 */

/** Where the agent stages placed files inside the work directory; hidden from listings, removed when it exits. */
export const STAGING_DIR = '.devmode-sync-staging.tmp';

/** The protocol version the agent reports in its `READY` line. */
export const SYNC_AGENT_VERSION = '3';

/** The compressions the agent can undo, best first. */
export const CODECS = ['zstd', 'gzip'] as const;
export type Codec = (typeof CODECS)[number];

export const SYNC_AGENT_SCRIPT = `# The devmode sync agent. It reads one command per line on stdin and answers on stdout; paths arrive as lines with
# every byte outside [A-Za-z0-9._/+-] written as a \\0ooo octal escape, and are checked here before any use.
set -u
LC_ALL=C
export LC_ALL
dir=$1
z='\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000'
fatal() {
  printf 'FATAL %s\\n' "$1"
  exit 3
}
case $dir in
  /?*) ;;
  *) fatal workdir ;;
esac
mkdir -p -- "$dir" 2>/dev/null && [ -d "$dir" ] && [ ! -L "$dir" ] || fatal workdir
command -v tar >/dev/null 2>&1 || fatal tar
sum=-
for tool in sha256sum md5sum; do
  if command -v "$tool" >/dev/null 2>&1; then
    sum=$tool
    break
  fi
done
list=0
find "$dir" -maxdepth 0 -printf '' >/dev/null 2>&1 && list=1
# Where placed files are extracted before they are renamed into place; never listed, removed when the agent ends.
stage=$dir/.devmode-sync-staging.tmp
rm -rf -- "$stage"
trap 'rm -rf -- "$stage"' EXIT
# The decompressors that work here, best first ("-" for none); each is tried on a few bytes, not just looked up.
unpack=
for tool in zstd gzip; do
  if command -v "$tool" >/dev/null 2>&1 && [ "$(printf ok | "$tool" -c 2>/dev/null | "$tool" -dc 2>/dev/null)" = ok ]; then
    unpack=$unpack\${unpack:+,}$tool
  fi
done
printf 'READY 3 %s %s %s\\n' "$sum" "$list" "\${unpack:--}"

# Sets p to the path a line encodes.
decode() {
  case $1 in
    *\\\\*)
      p=$(printf '%bx' "$1")
      p=\${p%x}
      ;;
    *) p=$1 ;;
  esac
}

# Succeeds when p is relative, has no empty, "." or ".." parts, and no directory on the way is a symlink.
safe() {
  case /$p/ in
    *//* | */./* | */../*) return 1 ;;
  esac
  rest=$p
  cur=$dir
  while :; do
    case $rest in
      */*)
        cur=$cur/\${rest%%/*}
        rest=\${rest#*/}
        [ -L "$cur" ] && return 1
        ;;
      *) return 0 ;;
    esac
  done
}

reply() {
  printf 'DONE %s %s %s\\n%s' "$1" "$2" "\${#3}" "$3"
}

# Extracts the archive that follows into $1; $2 is its compression. A compressed archive is unwrapped (see the top)
# and decompressed; whatever happens to the inner tar, the outer archive is read to its end, so the channel stays
# in step.
untar() {
  case $2 in
    gzip | zstd)
      tar -x -O -b 20 -f - | (
        "$2" -dc | tar -x -p -o -f - -C "$1"
        r=$?
        cat >/dev/null
        exit "$r"
      )
      ;;
    *) tar -x -p -o -b 20 -f - -C "$1" ;;
  esac
}

cmd_extract() {
  out=$(untar "$dir" "$2" 2>&1)
  reply "$1" $? "$out"
}

# Sets s to the state of the entry at $1 as the server writes expectations: 0 when there is none, otherwise
# "type size seconds.nanoseconds".
state() {
  if [ ! -e "$1" ] && [ ! -L "$1" ]; then
    s=0
    return
  fi
  s=$(find "$1" -maxdepth 0 -printf '%y %s %T@' 2>/dev/null) || s=?
  case $s in
    *.*) f=\${s##*.}000000000 s=\${s%.*} ;;
    *) f=000000000 ;;
  esac
  s=$s.\${f%"\${f#?????????}"}
}

# Puts the staged file $1 at $2 only if the container still holds the expected version $3 there, so that an edit
# made in the container since the last sync is never overwritten. A new file is linked into place, which fails
# when one appeared meanwhile. An existing one is held under a second name first: a write into it that lands
# while it is being replaced is seen on the held name afterwards, and the container's version is put back.
place_checked() {
  if [ "$3" = 0 ]; then
    if ln -- "$1" "$2" 2>/dev/null; then
      rm -f -- "$1"
      return 0
    fi
    # Linking also fails across file systems (a volume mounted below the work directory): then a rename it is.
    if [ -e "$2" ] || [ -L "$2" ]; then return 2; fi
    mv -f -- "$1" "$2" 2>/dev/null || return 1
    return 0
  fi
  held=$stage/.held
  rm -f -- "$held"
  if ! ln -- "$2" "$held" 2>/dev/null; then
    if [ ! -e "$2" ] && [ ! -L "$2" ]; then return 2; fi
    # Another file system: checked right before the rename instead.
    state "$2"
    [ "$s" = "$3" ] || return 2
    mv -f -- "$1" "$2" 2>/dev/null || return 1
    return 0
  fi
  state "$held"
  if [ "$s" != "$3" ]; then
    rm -f -- "$held"
    return 2
  fi
  mv -f -- "$1" "$2" 2>/dev/null || {
    rm -f -- "$held"
    return 1
  }
  state "$held"
  if [ "$s" != "$3" ]; then
    mv -f -- "$held" "$2"
    return 2
  fi
  rm -f -- "$held"
  return 0
}

# Makes sure the staging folder is a real folder. A symlink put in its place would lead writes out of the work
# directory: it is replaced.
stage_ready() {
  if [ -L "$stage" ] || [ ! -d "$stage" ]; then
    rm -rf -- "$stage"
  fi
  [ -d "$stage" ] || mkdir -- "$stage" 2>/dev/null
}

# Deletes the file $1 only if it is the expected version $2: it is moved aside first (whatever is there at that
# instant), then checked; a version the server did not expect is linked back, unless the container made a new
# one there meanwhile, which then stays.
remove_checked() {
  held=$stage/.held
  rm -f -- "$held"
  mv -f -- "$1" "$held" 2>/dev/null || return 0
  state "$held"
  if [ "$s" != "$2" ]; then
    ln -- "$held" "$1" 2>/dev/null
    rm -f -- "$held"
    return 1
  fi
  rm -f -- "$held"
  return 0
}

# Extracts into a staging folder, then renames each listed path into place, so readers never see half a file.
cmd_place() {
  id=$1 n=$2 codec=$3 i=0 errs=
  set --
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    IFS= read -r want || exit 0
    decode "$line"
    # Refused paths keep their place in the list (as "-"), so that indexes in the answer match the request.
    if safe; then
      set -- "$@" "$want+$p"
    else
      set -- "$@" -
      errs="\${errs}unsafe $i
"
    fi
    i=$((i + 1))
  done
  if ! stage_ready; then
    tar -t -b 20 -f - >/dev/null 2>&1
    reply "$id" 2 "\${errs}cannot create $stage"
    return
  fi
  out=$(untar "$stage" "$codec" 2>&1)
  rc=$?
  i=0
  for q in "$@"; do
    case $q in
      *+*)
        want=\${q%%+*} p=\${q#*+}
        if [ "$want" != - ] && [ "$list" = 1 ]; then
          place_checked "$stage/$p" "$dir/$p" "$want"
          case $? in
            1)
              rc=1
              out="$out
failed $i"
              ;;
            2)
              rm -f -- "$stage/$p"
              rc=1
              out="$out
changed $i"
              ;;
          esac
        else
          if [ -d "$dir/$p" ] && [ ! -L "$dir/$p" ]; then rm -rf -- "$dir/$p"; fi
          if ! mv -f -- "$stage/$p" "$dir/$p" 2>/dev/null; then
            rc=1
            out="$out
failed $i"
          fi
        fi
        ;;
    esac
    i=$((i + 1))
  done
  if [ -n "$errs" ] && [ "$rc" = 0 ]; then rc=1; fi
  reply "$id" "$rc" "$errs$out"
}

# Deletes n paths, each followed by the version expected there (as for P); a file the container changed since is
# kept and answered as "changed <index>".
cmd_remove() {
  id=$1 n=$2 i=0 errs= checked=0
  set --
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    IFS= read -r want || exit 0
    decode "$line"
    if ! safe; then
      errs="\${errs}unsafe $i
"
    elif [ "$want" != - ] && [ "$list" = 1 ] && { [ "$checked" = 1 ] || stage_ready; }; then
      checked=1
      remove_checked "$dir/$p" "$want" || errs="\${errs}changed $i
"
    else
      set -- "$@" "$dir/$p"
    fi
    i=$((i + 1))
  done
  out= rc=0
  if [ -n "$errs" ]; then rc=1; fi
  if [ $# -gt 0 ]; then out=$(rm -rf -- "$@" 2>&1) || rc=$?; fi
  reply "$id" "$rc" "$errs$out"
}

cmd_rename() {
  id=$1 n=$2 i=0 errs= rc=0
  while [ "$i" -lt "$n" ]; do
    IFS= read -r from || exit 0
    IFS= read -r to || exit 0
    decode "$from"
    a=$p ok=0
    safe && ok=1
    decode "$to"
    if [ "$ok" = 1 ] && safe; then
      case $p in
        */*) mkdir -p -- "$dir/\${p%/*}" ;;
      esac
      out=$(rm -rf -- "$dir/$p" && mv -f -- "$dir/$a" "$dir/$p" 2>&1) || {
        rc=1
        errs="\${errs}failed $i $out
"
      }
    else
      rc=1
      errs="\${errs}unsafe $i
"
    fi
    i=$((i + 1))
  done
  reply "$id" "$rc" "$errs"
}

cmd_list() {
  id=$1 n=$2 i=0
  set --
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    decode "$line"
    if safe; then set -- "$@" -path "$dir/$p" -prune -o; fi
    i=$((i + 1))
  done
  rc=127
  if [ "$list" = 1 ]; then
    find "$dir" -path "$stage" -prune -o "$@" -printf '%y %s %T@ %m %P\\000%l\\000' 2>/dev/null
    rc=$?
  fi
  printf 'END\\000\\000'
  reply "$id" "$rc" ''
}

cmd_stat() {
  id=$1 n=$2 i=0
  set --
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    decode "$line"
    if safe; then set -- "$@" "$dir/$p"; fi
    i=$((i + 1))
  done
  if [ $# -gt 0 ] && [ "$list" = 1 ]; then find "$@" -maxdepth 0 -printf '%y %s %T@ %m %p\\000%l\\000' 2>/dev/null; fi
  printf 'END\\000\\000'
  reply "$id" 0 ''
}

cmd_hash() {
  id=$1 n=$2 i=0
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    decode "$line"
    h=-
    if [ "$sum" != - ] && safe && [ -f "$dir/$p" ] && [ ! -L "$dir/$p" ]; then
      h=$("$sum" <"$dir/$p" 2>/dev/null) || h=-
      h=\${h%% *}
    fi
    printf '%s\\n' "$h"
    i=$((i + 1))
  done
  reply "$id" 0 ''
}

cmd_pack() {
  id=$1 n=$2 i=0
  set --
  while [ "$i" -lt "$n" ]; do
    IFS= read -r line || exit 0
    decode "$line"
    if safe; then set -- "$@" "./$p"; fi
    i=$((i + 1))
  done
  rc=0
  if [ $# -gt 0 ]; then
    tar -c -b 20 -f - -C "$dir" "$@"
    rc=$?
  fi
  i=0
  while [ "$i" -lt 16 ]; do
    printf "$z"
    i=$((i + 1))
  done
  reply "$id" "$rc" ''
}

while IFS=' ' read -r cmd id n z; do
  case $cmd in
    X) cmd_extract "$id" "\${n:--}" ;;
    P) cmd_place "$id" "$n" "\${z:--}" ;;
    D) cmd_remove "$id" "$n" ;;
    R) cmd_rename "$id" "$n" ;;
    L) cmd_list "$id" "$n" ;;
    S) cmd_stat "$id" "$n" ;;
    H) cmd_hash "$id" "$n" ;;
    C) cmd_pack "$id" "$n" ;;
    Q) exit 0 ;;
    *) reply "$id" 2 'unknown command' ;;
  esac
done
`;

/** The argv that starts the agent for `workDir` in the container. */
export function syncAgentCommand(workDir: string): string[] {
  return ['sh', '-c', SYNC_AGENT_SCRIPT, 'devmode-sync', workDir];
}
