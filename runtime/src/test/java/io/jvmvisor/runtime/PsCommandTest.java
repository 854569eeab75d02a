package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code ps} prints what the guest chose as command lines: no control character reaches the terminal. */
class PsCommandTest {
    @Test
    void escapeSequencesAreShownNotSent() {
        // clear screen, set the window title, a C1 CSI, a bell, DEL
        String hostile = "sh\u001b[2J\u001b]0;pwned\u0007\u009b31m\u007f";
        String shown = PsCommand.printable(hostile);
        assertEquals("sh\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\x7f", shown);
        for (char c : shown.toCharArray()) {
            assertEquals(false, c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f), "control char " + (int) c);
        }
    }

    @Test
    void plainCommandsAndUnicodeStayAsTheyAre() {
        assertEquals("sleep 3600", PsCommand.printable("sleep 3600"));
        assertEquals("café ✓", PsCommand.printable("café ✓"));
        assertEquals("a\\\\x1b", PsCommand.printable("a\\x1b")); // a literal backslash cannot fake an escape
    }
}
