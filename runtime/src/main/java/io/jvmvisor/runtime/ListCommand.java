package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.StoreException;
import java.util.ArrayList;
import java.util.List;

/** {@code list}: all containers under --root, as a table (runc's columns) or JSON. */
final class ListCommand implements CliCommand {
    @Override
    public String description() {
        return "lists containers started by jvmvisor with the given root";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int minArgs() {
        return 0;
    }

    @Override
    public int maxArgs() {
        return 0;
    }

    @Override
    public Options options() {
        return new Options()
                .value("select one of: table or json", "table", "format", "f")
                .flag("display only container IDs", "quiet", "q");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        String format = p.value("format");
        boolean quiet = p.flag("quiet");
        if (!format.equals("table") && !format.equals("json")) {
            throw new CliException("invalid format option");
        }
        Containers c = g.containers();
        List<ContainerView> views = new ArrayList<>();
        try {
            for (String id : c.store().ids()) {
                try {
                    views.add(c.view(c.find(id)));
                } catch (CliException e) {
                    // deleted meanwhile
                }
            }
        } catch (StoreException e) {
            throw new CliException(e.getMessage());
        }
        if (quiet) {
            views.forEach(v -> System.out.println(v.id()));
        } else if (format.equals("json")) {
            System.out.println(views.isEmpty() ? "null" : Json.list(views));
        } else {
            System.out.print(table(views));
        }
        return 0;
    }

    /** runc's table: Go tabwriter with minwidth 12, padding 3; the last column is not padded. */
    static String table(List<ContainerView> views) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
        for (ContainerView v : views) {
            rows.add(new String[] {v.id(), Long.toString(v.pid()), v.status(), v.bundle(), v.created(), v.owner()});
        }
        int cols = rows.getFirst().length;
        int[] width = new int[cols - 1];
        for (String[] r : rows) {
            for (int i = 0; i < cols - 1; i++) {
                width[i] = Math.max(width[i], Math.max(12, r[i].length() + 3));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < cols - 1; i++) {
                sb.append(r[i]).append(" ".repeat(width[i] - r[i].length()));
            }
            sb.append(r[cols - 1]).append('\n');
        }
        return sb.toString();
    }
}
