package dev.tessera.vit;

import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text {@code tessera model NAME} prints: a title, the configuration as "key  value" lines, then a table
 * of parameter counts per part of the model — trainable parameters vs fixed ones (frozen parameters and
 * buffers such as the sin-cos position tables) — and totals, all with thousands separators.
 *
 * <p>Pure string building from a {@link Module} tree and a list of parts, each given by checkpoint-name
 * prefixes, so the CLI, the model classes and the tests share it. Example output (MAE-B, abridged):
 * <pre>
 * mae-vit-base-patch16
 *   image     224×224×3, patch 16 → 14×14 = 196 patches
 *   ...
 *   part                         trainable        fixed
 *   patch embed                    590,592
 *   encoder blocks ×12          85,054,464               (7,087,872 each)
 *   ...
 *   total                      111,655,680      252,160
 * </pre>
 */
public final class ModelSummary {
    private ModelSummary() {}

    /**
     * A labelled part of a model: every parameter or buffer whose name equals one of {@code prefixes} or starts
     * with prefix + ".". A {@code repeated} part (prefix "blocks") is shown as one row "label ×N" over the
     * children blocks.0 … blocks.N−1, with the per-block count when all blocks are equal.
     */
    public record Part(String label, List<String> prefixes, boolean repeated) {}

    public static Part part(String label, String... prefixes) {
        return new Part(label, List.of(prefixes), false);
    }

    public static Part repeated(String label, String prefix) {
        return new Part(label, List.of(prefix), true);
    }

    /** One table row: counts of trainable and fixed elements; {@code each} &gt; 0 for uniform repeated parts. */
    public record Row(String label, long trainable, long fixed, int count, long each) {}

    /**
     * Counts per part. Names matched by no part land in a final row "other" (absent when empty), so the
     * rows always add up to the model's totals.
     */
    public static List<Row> rows(Module model, List<Part> parts) {
        Map<String, long[]> entries = new LinkedHashMap<>(); // name → {trainable, fixed}
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            entries.put(e.getKey(), p.trainable() ? new long[] {p.numel(), 0} : new long[] {0, p.numel()});
        }
        for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
            entries.put(e.getKey(), new long[] {0, e.getValue().numel()});
        }
        List<Row> out = new ArrayList<>();
        for (Part part : parts) {
            long tr = 0, fx = 0;
            Map<String, Long> perChild = new LinkedHashMap<>();
            var it = entries.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                String prefix = matchingPrefix(e.getKey(), part.prefixes());
                if (prefix == null) continue;
                tr += e.getValue()[0];
                fx += e.getValue()[1];
                if (part.repeated()) {
                    String rest = e.getKey().substring(prefix.length() + 1);
                    String child = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
                    perChild.merge(child, e.getValue()[0] + e.getValue()[1], Long::sum);
                }
                it.remove();
            }
            if (tr + fx == 0) continue;                          // part absent in this model (e.g. no head)
            int count = part.repeated() ? perChild.size() : 1;
            long each = part.repeated() && perChild.values().stream().distinct().count() == 1
                    ? perChild.values().iterator().next() : 0;
            out.add(new Row(part.repeated() ? part.label() + " ×" + count : part.label(), tr, fx, count, each));
        }
        long tr = 0, fx = 0;
        for (long[] v : entries.values()) {
            tr += v[0];
            fx += v[1];
        }
        if (tr + fx > 0) out.add(new Row("other", tr, fx, 1, 0));
        return out;
    }

    private static String matchingPrefix(String name, List<String> prefixes) {
        for (String p : prefixes) if (name.equals(p) || name.startsWith(p + ".")) return p;
        return null;
    }

    /** The full text: title, configuration lines ({key, value} pairs), the parts table and totals. */
    public static String render(String title, List<String[]> config, Module model, List<Part> parts) {
        StringBuilder s = new StringBuilder();
        s.append(title).append('\n');
        int keyWidth = 0;
        for (String[] kv : config) keyWidth = Math.max(keyWidth, kv[0].length());
        for (String[] kv : config) s.append("  ").append(pad(kv[0], keyWidth)).append("  ").append(kv[1]).append('\n');
        s.append('\n');
        List<Row> rows = rows(model, parts);
        int labelWidth = "part".length();
        for (Row r : rows) labelWidth = Math.max(labelWidth, r.label().length());
        labelWidth = Math.max(labelWidth, "total".length());
        String fmt = "  %-" + labelWidth + "s  %15s  %13s%s%n";
        s.append(String.format(Locale.ROOT, fmt, "part", "trainable", "fixed", ""));
        long tr = 0, fx = 0;
        for (Row r : rows) {
            tr += r.trainable();
            fx += r.fixed();
            String each = r.count() > 1 && r.each() > 0 ? "  (" + thousands(r.each()) + " each)" : "";
            s.append(String.format(Locale.ROOT, fmt, r.label(), blankIfZero(r.trainable()), blankIfZero(r.fixed()), each));
        }
        s.append(String.format(Locale.ROOT, fmt, "total", thousands(tr), thousands(fx), ""));
        s.append(String.format(Locale.ROOT, "  %-" + labelWidth + "s  %15s%n", "all", thousands(tr + fx)));
        return s.toString().replaceAll(" +\n", "\n");
    }

    /** 111655680 → "111,655,680". */
    public static String thousands(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String blankIfZero(long n) {
        return n == 0 ? "" : thousands(n);
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    /** "224×224×3, patch 16 → 14×14 = 196 patches". */
    public static String imageLine(ViTConfig c) {
        return c.imgSize() + "×" + c.imgSize() + "×" + c.inChans() + ", patch " + c.patchSize() + " → " + c.gridSize()
                + "×" + c.gridSize() + " = " + c.numPatches() + " patches";
    }
}
