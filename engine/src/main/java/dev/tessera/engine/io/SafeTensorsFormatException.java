package dev.tessera.engine.io;

/**
 * A safetensors file breaks the format: the message names the file and the field (header length, header
 * JSON, a tensor and its entry, or the data section) and says what is wrong.
 */
public final class SafeTensorsFormatException extends RuntimeException {
    public SafeTensorsFormatException(String message) {
        super(message);
    }

    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
