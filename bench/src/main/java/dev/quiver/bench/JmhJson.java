package dev.quiver.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads JMH's JSON results file ({@code jmh.json}) back into report rows, so that a report (the peer table
 * included) can be printed again from one results file without rerunning anything ({@code bench/run --report}).
 * JSON has no reader in the JDK or on the bench's class path, and JMH's file needs only this much of one.
 *
 * <pre>{@code
 * List<Report.Row> rows = JmhJson.rows(Files.readString(Path.of("bench/results/2026-12-02-peers/jmh.json")));
 * }</pre>
 */
final class JmhJson {
    private final String text;
    private int at;

    private JmhJson(String text) {
        this.text = text;
    }

    /** One row per JMH result: benchmark {@code Class.method}, parameters without the engine, score and error. */
    static List<Report.Row> rows(String json) {
        Object parsed = new JmhJson(json).document();
        if (!(parsed instanceof List<?> results)) {
            throw new IllegalArgumentException("JMH results: expected a JSON array of results, found "
                    + (parsed == null ? "null" : parsed.getClass().getSimpleName()));
        }
        List<Report.Row> rows = new ArrayList<>();
        for (Object element : results) {
            Map<?, ?> result = (Map<?, ?>) element;
            String[] parts = ((String) result.get("benchmark")).split("\\.");
            String benchmark = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, String> params = new TreeMap<>();
            Object given = result.get("params");
            String engine = null;
            if (given instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (entry.getKey().equals("engine")) {
                        engine = (String) entry.getValue();
                    } else {
                        params.put((String) entry.getKey(), (String) entry.getValue());
                    }
                }
            }
            Map<?, ?> metric = (Map<?, ?>) result.get("primaryMetric");
            rows.add(new Report.Row(benchmark, params, engine, number(metric.get("score")),
                    number(metric.get("scoreError"))));
        }
        return rows;
    }

    /** JMH writes NaN (no error below three iterations) as the string "NaN". */
    private static double number(Object value) {
        return value instanceof Double d ? d : Double.parseDouble((String) value);
    }

    private Object document() {
        Object value = value();
        skipSpace();
        if (at != text.length()) {
            throw error("end of the document");
        }
        return value;
    }

    private Object value() {
        skipSpace();
        if (at >= text.length()) {
            throw error("a value");
        }
        char c = text.charAt(at);
        switch (c) {
            case '{' -> {
                at++;
                Map<String, Object> object = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) {
                    return object;
                }
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    object.put(key, value());
                    skipSpace();
                } while (peek(','));
                expect('}');
                return object;
            }
            case '[' -> {
                at++;
                List<Object> array = new ArrayList<>();
                skipSpace();
                if (peek(']')) {
                    return array;
                }
                do {
                    array.add(value());
                    skipSpace();
                } while (peek(','));
                expect(']');
                return array;
            }
            case '"' -> {
                return string();
            }
            default -> {
                for (String literal : new String[] {"true", "false", "null"}) {
                    if (text.startsWith(literal, at)) {
                        at += literal.length();
                        return literal.equals("null") ? null : Boolean.valueOf(literal);
                    }
                }
                int start = at;
                while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                    at++;
                }
                if (start == at) {
                    throw error("a value");
                }
                return Double.parseDouble(text.substring(start, at));
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = text.charAt(at++);
            switch (escaped) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> out.append(escaped); // \" \\ \/
            }
        }
        throw error("the end of a string");
    }

    private void skipSpace() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private boolean peek(char c) {
        if (at < text.length() && text.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("'" + c + "'");
        }
    }

    private IllegalArgumentException error(String expected) {
        return new IllegalArgumentException("JMH results: expected " + expected + " at character " + at);
    }
}
