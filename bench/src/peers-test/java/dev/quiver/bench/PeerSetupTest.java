package dev.quiver.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With {@code -Ppeers} only: each libtorch and TF-Java benchmark's own {@code @Setup} (its agreement check with the
 * reference, the same one a real run makes before timing) passes at small sizes, so a peer that computes something
 * else fails here rather than winning a benchmark. Each engine runs in this one JVM in turn.
 *
 * <pre>{@code
 * ./mvnw -B verify -pl bench -am -Ppeers -Dtest='PeerSetupTest' -Dsurefire.failIfNoSpecifiedTests=false
 * }</pre>
 */
class PeerSetupTest {
    @Test
    void everyPeerBenchmarkSetupAgreesWithTheReference() {
        for (String engine : List.of("torch-1t", "tf-1t", "torch", "tf")) {
            ElementwiseBench elementwise = new ElementwiseBench();
            elementwise.engine = engine;
            elementwise.size = 1031;
            elementwise.setUp();

            ReductionBench reduction = new ReductionBench();
            reduction.engine = engine;
            reduction.size = 100_003;
            reduction.setUp();

            for (String dtype : List.of("float32", "float64")) {
                MatmulBench matmul = new MatmulBench();
                matmul.engine = engine;
                matmul.dtype = dtype;
                matmul.size = 37;
                matmul.setUp();
                assertTrue(MatmulBench.create(engine, dtype, 3, 19) != null);

                RandomBench random = new RandomBench();
                random.engine = engine;
                random.dtype = dtype;
                random.size = 200_000;
                random.setUp();
            }

            TrainingBench.Batch64 training = new TrainingBench.Batch64();
            training.engine = engine;
            training.setUp();
            double[] wb = training.step.parameters();
            assertTrue(Math.abs(wb[0] - 7) < 0.25 && Math.abs(wb[1] - 4) < 0.25, engine + ": w, b = " + wb[0] + ", " + wb[1]);
        }
    }
}
