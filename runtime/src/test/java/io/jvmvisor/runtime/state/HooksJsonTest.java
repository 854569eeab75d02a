package io.jvmvisor.runtime.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jvmvisor.oci.Hooks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HooksJsonTest {
    @Test
    void keepsPostHooksOnlyAndReadsThemBack() throws Exception {
        Hooks.Hook a = new Hooks.Hook("/bin/a", List.of("a", "x y"), List.of("K=V"), 5);
        Hooks.Hook b = new Hooks.Hook("/bin/b", null, null, null);
        Hooks spec = new Hooks(List.of(b), List.of(b), null, null, List.of(a, b), List.of(b));
        Hooks back = HooksJson.read(HooksJson.write(spec));
        assertEquals(List.of(a, b), back.poststart());
        assertEquals(List.of(b), back.poststop());
        assertNull(back.prestart());
        assertNull(back.createRuntime());
    }

    @Test
    void noHooksIsAnEmptyObject() throws Exception {
        assertEquals("{}", new String(HooksJson.write(Hooks.NONE), StandardCharsets.UTF_8));
        Hooks back = HooksJson.read("{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), Hooks.orEmpty(back.poststart()));
        assertEquals(List.of(), Hooks.orEmpty(back.poststop()));
    }

    @Test
    void storeKeepsThemInTheStateDirAndTellsWhenCreateKeptNone(@TempDir Path root) throws Exception {
        StateStore store = new StateStore(root);
        store.create(new ContainerRecord("c", "/b", "/b/rootfs", "2026-01-01T00:00:00Z", "root", Map.of(), 0, 0));
        assertNull(store.readHooks("c"), "a state dir without hooks.json (an older create)");
        Hooks.Hook h = new Hooks.Hook("/bin/true", null, null, null);
        store.writeHooks("c", new Hooks(null, null, null, null, null, List.of(h)));
        assertEquals(List.of(h), store.readHooks("c").poststop());
    }
}
