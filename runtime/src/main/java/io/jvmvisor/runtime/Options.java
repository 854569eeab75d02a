package io.jvmvisor.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's flags, declared in code, and their parsing the way runc's CLI
 * library does it: {@code --name value}, {@code --name=value}, {@code -n value},
 * single-dash long names ({@code -root}), boolean flags with an optional
 * {@code =true|false}. (A hand-written parser: the CLI runs on every
 * docker/containerd step, and reflective parsers cost it most of its start-up.)
 */
final class Options {
    /** Separates the values of a repeated option. */
    static final String SEP = "\u0000";

    /** One flag. */
    record Option(List<String> names, boolean takesValue, boolean repeatable, String defaultValue, String help) {
    }

    /** Parsed flags and positional arguments. */
    record Parsed(Map<String, String> values, List<String> args) {
        /** The value of a valued option (its default if absent), by its first name. */
        String value(String name) {
            return values.get(name);
        }

        /** All values of a repeatable option, in order (empty if absent). */
        List<String> all(String name) {
            String v = values.get(name);
            return v == null ? List.of() : List.of(v.split(SEP));
        }

        /** Whether a boolean flag was given (and not as =false). */
        boolean flag(String name) {
            return "true".equals(values.get(name));
        }
    }

    private final Map<String, Option> byName = new HashMap<>();
    private final Map<String, Option> declared = new LinkedHashMap<>();

    /** Declares a boolean flag; its key is its first name. */
    Options flag(String help, String... names) {
        return add(new Option(List.of(names), false, false, "false", help));
    }

    /** Declares a flag with a value; its key is its first name. */
    Options value(String help, String defaultValue, String... names) {
        return add(new Option(List.of(names), true, false, defaultValue, help));
    }

    /** Declares a flag that may be given several times ({@code -e A=1 -e B=2}). */
    Options repeatable(String help, String... names) {
        return add(new Option(List.of(names), true, true, null, help));
    }

    private Options add(Option o) {
        declared.put(o.names().getFirst(), o);
        for (String n : o.names()) {
            byName.put(n, o);
        }
        return this;
    }

    /**
     * Parses {@code args[from..]}. With {@code stopAtCommand} (global options),
     * stops at the first positional word, which with everything after it ends
     * up in {@link Parsed#args()}; otherwise flags and arguments may mix.
     */
    Parsed parse(String[] args, int from, boolean stopAtCommand) throws CliException {
        Map<String, String> values = new HashMap<>();
        declared.forEach((k, o) -> values.put(k, o.defaultValue()));
        List<String> positional = new ArrayList<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                positional.addAll(List.of(args).subList(i + 1, args.length));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                if (stopAtCommand) {
                    positional.addAll(List.of(args).subList(i, args.length));
                    break;
                }
                positional.add(a);
                continue;
            }
            String name = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option o = byName.get(name);
            if (o == null) {
                throw new CliException("flag provided but not defined: -" + name);
            }
            String key = o.names().getFirst();
            if (o.takesValue()) {
                if (inline == null) {
                    if (i + 1 >= args.length) {
                        throw new CliException("flag needs an argument: -" + name);
                    }
                    inline = args[++i];
                }
                String before = values.get(key);
                values.put(key, o.repeatable() && before != null ? before + SEP + inline : inline);
            } else {
                if (inline != null && !inline.equals("true") && !inline.equals("false")) {
                    throw new CliException("invalid boolean value \"" + inline + "\" for -" + name);
                }
                values.put(key, inline == null ? "true" : inline);
            }
        }
        return new Parsed(values, positional);
    }

    /** The OPTIONS section of a command's help, like runc's. */
    String help() {
        StringBuilder sb = new StringBuilder();
        for (Option o : declared.values()) {
            StringBuilder names = new StringBuilder();
            for (String n : o.names()) {
                if (!names.isEmpty()) {
                    names.append(", ");
                }
                names.append(n.length() == 1 ? "-" : "--").append(n).append(o.takesValue() ? " value" : "");
            }
            sb.append(String.format("   %-28s %s", names, o.help()));
            if (o.takesValue() && o.defaultValue() != null && !o.defaultValue().isEmpty()) {
                sb.append(" (default: \"").append(o.defaultValue()).append("\")");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
