package io.jvmvisor.shim;

import io.jvmvisor.shim.agent.AgentClient;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Host paths added to and removed from a running container ({@code jvmvisor mount/umount}).
 * Each one is bound into the VM's live share by the VMM jail (in QEMU's mount namespace, with
 * nosuid, nodev and read-only where asked) and then bound onto its destination in the container
 * by the agent; removal goes the other way. Nothing of it is in the host's own mount namespace.
 */
final class LiveShares {
    private static final System.Logger LOG = System.getLogger("shim.live");
    /** Host trees that are never shared: the kernel's views and the devices. */
    private static final List<Path> REFUSED = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    /** A refused request: the message is for the person who asked. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final Path jail;
    private final Path exports;
    private final Path stateRoot;
    private final Map<String, String> entryByDestination = new HashMap<>();
    private int next;

    LiveShares(Path jail, Path exports, Path stateRoot) {
        this.jail = jail;
        this.exports = exports;
        Path root = stateRoot;
        try {
            root = stateRoot == null ? null : stateRoot.toRealPath();
        } catch (IOException e) {
            // compared as given
        }
        this.stateRoot = root;
    }

    /** Checks a host path a caller wants to share; returns it resolved (no symlinks). */
    Path checkHostPath(String hostPath) throws Refused {
        if (hostPath == null || !hostPath.startsWith("/")) {
            throw new Refused("the host path \"" + hostPath + "\" must be absolute");
        }
        Path real;
        try {
            real = Path.of(hostPath).toRealPath();
        } catch (IOException e) {
            throw new Refused("the host path " + hostPath + " does not exist");
        }
        for (Path refused : REFUSED) {
            if (real.startsWith(refused)) {
                throw new Refused("the host path " + hostPath + " is under " + refused + ", which is never shared");
            }
        }
        if (stateRoot != null && (real.startsWith(stateRoot) || stateRoot.startsWith(real))) {
            throw new Refused("the host path " + hostPath + " holds the runtime's state (" + stateRoot + ")");
        }
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new Refused("the host path " + hostPath + " is neither a file nor a directory");
        }
        return real;
    }

    static void checkDestination(String destination) throws Refused {
        if (destination == null || !destination.startsWith("/") || destination.equals("/")
                || Path.of(destination).normalize().toString().length() != destination.replaceAll("/+$", "").length()) {
            throw new Refused("the container path \"" + destination + "\" must be an absolute, normal path other than /");
        }
    }

    synchronized void mount(long vmmPid, AgentClient agent, String hostPath, String destination, boolean readonly)
            throws Refused, IOException, InterruptedException {
        checkDestination(destination);
        Path real = checkHostPath(hostPath);
        if (entryByDestination.containsKey(destination)) {
            throw new Refused(destination + " is already a live mount in the container");
        }
        String entry = Integer.toString(next++);
        jail(vmmPid, List.of("--add", entry, real.toString(), readonly ? "ro" : "rw"));
        try {
            agent.addMount(entry, destination, readonly);
        } catch (AgentClient.AgentException e) {
            jail(vmmPid, List.of("--remove", entry));
            throw new Refused(e.getMessage());
        }
        entryByDestination.put(destination, entry);
        LOG.log(Level.INFO, "live mount " + real + " on " + destination + (readonly ? " (ro)" : ""));
    }

    synchronized void umount(long vmmPid, AgentClient agent, String destination) throws Refused, IOException, InterruptedException {
        checkDestination(destination);
        String entry = entryByDestination.get(destination);
        if (entry == null) {
            throw new Refused(destination + " is not a live mount of the container (jvmvisor mount adds them)");
        }
        try {
            agent.removeMount(destination);
        } catch (AgentClient.AgentException e) {
            throw new Refused(e.getMessage());
        }
        entryByDestination.remove(destination);
        jail(vmmPid, List.of("--remove", entry));
        LOG.log(Level.INFO, "live mount on " + destination + " removed");
    }

    private void jail(long vmmPid, List<String> change) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(jail.toString(), "--in", Long.toString(vmmPid),
                "--exports", exports.toString()));
        argv.addAll(change);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("the VMM jail did not finish the live share change in 10 s");
        }
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.exitValue() != 0) {
            throw new IOException(out.isEmpty() ? "the VMM jail failed (" + p.exitValue() + ")" : out);
        }
    }
}
