package dev.quiver.spi;

/**
 * Counts of host-to-device ({@code uploads}) and device-to-host ({@code downloads}) copies, with bytes.
 * Tests use the difference of two snapshots to prove that a training step keeps its data on the device.
 *
 * <pre>{@code
 * TransferStats before = backend.transfers();
 * step();
 * TransferStats used = backend.transfers().minus(before);   // used.uploads() == 0
 * }</pre>
 */
public record TransferStats(long uploads, long uploadBytes, long downloads, long downloadBytes) {
    public TransferStats minus(TransferStats earlier) {
        return new TransferStats(uploads - earlier.uploads, uploadBytes - earlier.uploadBytes,
                downloads - earlier.downloads, downloadBytes - earlier.downloadBytes);
    }
}
