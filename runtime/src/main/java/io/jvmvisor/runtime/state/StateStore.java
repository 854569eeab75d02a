package io.jvmvisor.runtime.state;

import io.jvmvisor.shim.control.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Containers' state under {@code --root}: one directory per container
 * ({@code <root>/<id>/}) holding {@code state.json}, a {@code .lock} file, and
 * what the shim writes (its socket, {@code exit.json}, {@code shim.log},
 * {@code vmm.pid}). Creating the directory is the atomic check-and-create: of
 * two concurrent creates of one ID exactly one wins.
 */
public final class StateStore {
    /** The file holding the {@link ContainerRecord}. */
    public static final String STATE_FILE = "state.json";
    /** The file the shim writes when the container's process exited. */
    public static final String EXIT_FILE = "exit.json";
    /** The copy of the bundle's config.json that create read (start, exec, delete and the shim use it). */
    public static final String CONFIG_COPY = "config.json";
    /** The file the shim writes with the VMM's PID. */
    public static final String VMM_PID_FILE = "vmm.pid";
    /** The poststart/poststop hooks create read from config.json ({@link HooksJson}). */
    public static final String HOOKS_FILE = "hooks.json";
    private static final String LOCK_FILE = ".lock";
    private static final java.util.concurrent.atomic.AtomicInteger TMP_SEQ = new java.util.concurrent.atomic.AtomicInteger();

    private final Path root;

    public StateStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The state directory of container {@code id}. */
    public Path dir(String id) {
        return root.resolve(id);
    }

    /** runc's rule for container IDs, {@code ^[\w+\-.]+$}, without a regex (its classes cost every CLI run). */
    private static boolean idChars(String id) {
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '_' || c == '+' || c == '-' || c == '.';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Checks an ID as runc does: letters, digits, {@code _ + - .}, not "." or "..". */
    public static void checkId(String id) throws StoreException {
        if (id == null || id.isEmpty()) {
            throw new StoreException(StoreException.Kind.INVALID_ID, "container id cannot be empty");
        }
        if (!idChars(id) || id.equals(".") || id.equals("..")) {
            throw new StoreException(StoreException.Kind.INVALID_ID, "invalid id format: " + id);
        }
    }

    /**
     * Creates the state directory of {@code record.id()} and writes its record.
     * Fails with {@code container with id exists: ID} if it exists already.
     */
    public Path create(ContainerRecord record) throws StoreException {
        checkId(record.id());
        Path dir = dir(record.id());
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new StoreException(StoreException.Kind.IO, "--root " + root + " is not a directory");
        }
        try {
            if (!Files.isDirectory(root)) {
                PrivateFiles.createDirectories(root);
            }
            Files.createDirectory(dir, PrivateFiles.dirMode());
        } catch (FileAlreadyExistsException e) {
            throw new StoreException(StoreException.Kind.EXISTS, "container with id exists: " + record.id());
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot create state directory " + dir + ": " + e.getMessage());
        }
        try {
            write(record);
        } catch (StoreException e) {
            // a full or failing --root: leave no directory that would read as "creating" forever
            try {
                remove(record.id());
            } catch (StoreException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return dir;
    }

    /** Replaces the record atomically (temp file + rename); a failed write leaves no temp file. */
    public void write(ContainerRecord record) throws StoreException {
        Path dir = dir(record.id());
        try {
            writeAtomically(dir.resolve(STATE_FILE), RecordJson.write(record));
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot write " + dir.resolve(STATE_FILE) + ": " + e.getMessage());
        }
    }

    /**
     * Reads the record of {@code id}; null if the directory exists but
     * create has not written a record yet (an interrupted create).
     */
    public ContainerRecord read(String id) throws StoreException {
        checkId(id);
        Path dir = dir(id);
        if (!Files.isDirectory(dir)) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, "container does not exist");
        }
        try {
            return RecordJson.readRecord(Files.readAllBytes(dir.resolve(STATE_FILE)));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot read " + dir.resolve(STATE_FILE) + ": " + e.getMessage());
        }
    }

    /**
     * The folder of {@code state}'s rendered outputs, for bin/jvmvisor: {@code shim} (the shim's PID
     * and start time, as in /proc/PID/stat), and one file per status named after it, each the whole
     * output of {@code state} while the shim lives and its status file says that status.
     */
    public static final String STATE_VIEWS = "state-views";

    /** Writes {@link #STATE_VIEWS}: each file atomically, the shim's last (a reader without it falls back). */
    public void writeStateViews(String id, long shimPid, long shimStartTime, Map<String, String> views) throws StoreException {
        Path dir = dir(id).resolve(STATE_VIEWS);
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> v : views.entrySet()) {
                writeAtomically(dir.resolve(v.getKey()), v.getValue());
            }
            writeAtomically(dir.resolve("shim"), shimPid + " " + shimStartTime + "\n");
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot write " + dir + ": " + e.getMessage());
        }
    }

    /** Keeps the post hooks create read ({@link #HOOKS_FILE}). */
    public void writeHooks(String id, io.jvmvisor.oci.Hooks hooks) throws StoreException {
        Path file = dir(id).resolve(HOOKS_FILE);
        try {
            Files.write(file, HooksJson.write(hooks));
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot write " + file + ": " + e.getMessage());
        }
    }

    /**
     * The post hooks create kept; null when there is no {@link #HOOKS_FILE} (a container created by an
     * older jvmvisor: the caller reads config.json).
     */
    public io.jvmvisor.oci.Hooks readHooks(String id) throws IOException {
        byte[] json;
        try {
            json = Files.readAllBytes(dir(id).resolve(HOOKS_FILE));
        } catch (NoSuchFileException e) {
            return null;
        }
        return HooksJson.read(json);
    }

    /** The shim's exit record, or null if it wrote none. */
    public ExitRecord readExit(String id) {
        try {
            return RecordJson.readExit(Files.readAllBytes(dir(id).resolve(EXIT_FILE)));
        } catch (IOException e) {
            return null;
        }
    }

    /** The VMM PID the shim recorded, or 0. */
    public long readVmmPid(String id) {
        try {
            return Long.parseLong(Files.readString(dir(id).resolve(VMM_PID_FILE)).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** IDs of all containers (directories with a valid ID), sorted. */
    public List<String> ids() throws StoreException {
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return ids;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && idChars(name) && !name.startsWith(".")) {
                    ids.add(name);
                }
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot list " + root + ": " + e.getMessage());
        }
        ids.sort(null);
        return ids;
    }

    /** Takes the container's exclusive lock (released when the returned lock is closed). */
    public FileLock lock(String id) throws StoreException {
        Path lock = dir(id).resolve(LOCK_FILE);
        try {
            FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return ch.lock();
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot lock " + lock + ": " + e.getMessage());
        }
    }

    /** True while another process holds the container's lock (a create in progress holds it throughout). */
    public boolean locked(String id) {
        Path lock = dir(id).resolve(LOCK_FILE);
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false; // no lock file: nobody holds it
        }
    }

    /** Removes the container's state directory and everything in it. */
    public void remove(String id) throws StoreException {
        Path dir = dir(id);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "cannot remove " + dir + ": " + e.getMessage());
        }
    }

    /** Writes {@code content} to {@code target} atomically (temp file in the same dir + rename), as runc does for --pid-file. */
    public static void writeAtomically(Path target, String content) throws IOException {
        writeAtomically(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code content} to {@code target} atomically: a fresh temp file beside it (O_CREAT|O_EXCL,
     * so a symlink or file planted there is never followed nor reused; mode 0600), then rename over
     * the target (rename replaces a symlink at the target, it does not follow it). The temp file is
     * removed if anything fails.
     */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + TMP_SEQ.incrementAndGet());
        try {
            try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(tmp,
                    java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), PrivateFiles.fileMode())) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            move(tmp, abs);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
