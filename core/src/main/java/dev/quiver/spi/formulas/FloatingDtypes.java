package dev.quiver.spi.formulas;

import dev.quiver.DType;

/**
 * The one check every formula of this package makes: it is written for float32 and float64 only, and picks its
 * constants by dtype.
 *
 * <pre>{@code
 * Constants k = FloatingDtypes.choose(dtype, "sin", Constants.FLOAT32, Constants.FLOAT64);
 * }</pre>
 */
final class FloatingDtypes {
    private FloatingDtypes() {
    }

    /** {@code float32} or {@code float64} by {@code dtype}; any other dtype is an error naming {@code function}. */
    static <T> T choose(DType dtype, String function, T float32, T float64) {
        return switch (dtype) {
            case FLOAT32 -> float32;
            case FLOAT64 -> float64;
            default -> throw new IllegalArgumentException("formulas: " + function
                    + " is defined for float32 and float64, not " + dtype);
        };
    }
}
