package dev.tessera.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tessera.engine.io.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes an evaluation's result as pretty JSON, atomically (temporary file + rename, like the run directory's
 * files), creating the parent folder. Values are what Jackson writes for maps, lists, strings, numbers and
 * records; accuracies are top-1 percentages.
 */
public final class ResultFile {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultFile() {}

    public static void write(Path file, Map<String, ?> result) {
        String text;
        try {
            text = MAPPER.writeValueAsString(result) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the result as JSON: " + e.getOriginalMessage(), e);
        }
        writeText(file, text);
    }

    /** Writes {@code text} (UTF-8) atomically, creating the parent folder: a result's human-readable form. */
    public static void writeText(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + file + ": " + e.getMessage(), e);
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Reads a JSON object back (tests, tools). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path file) {
        try {
            return MAPPER.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
