package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListTableTest {
    @Test
    void columnsLikeRuncTabwriter() {
        String t = ListCommand.table(List.of(new ContainerView("1.2.0", "a-long-container-id", 42, "running",
                "/b", "/b/rootfs", "2026-01-01T00:00:00Z", "root", Map.of())));
        assertEquals(String.format("%-22s%-12s%-12s%-12s%-23s%s%n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")
                + String.format("%-22s%-12s%-12s%-12s%-23s%s%n", "a-long-container-id", "42", "running", "/b",
                "2026-01-01T00:00:00Z", "root"), t);
    }

    @Test
    void emptyListHasTheHeader() {
        assertEquals("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n", ListCommand.table(List.of()));
    }
}
