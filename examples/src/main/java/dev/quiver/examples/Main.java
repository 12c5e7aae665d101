package dev.quiver.examples;

import dev.quiver.Quiver;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The entry point of the {@code ./quiver} launcher: runs one example, or all of them, by command name.
 *
 * <pre>{@code
 * java -cp 'examples/target/quiver-examples-0.1.0-SNAPSHOT.jar:examples/target/lib/*' \
 *      --add-modules jdk.incubator.vector dev.quiver.examples.Main linear-regression --backend cpu --seed 7
 * ./quiver all --no-plots       # the same through the launcher
 * ./quiver diagnose             # every backend found, and why it can or cannot run
 * }</pre>
 */
public final class Main {
    private static final Map<String, BiConsumer<ExampleArgs, PrintStream>> EXAMPLES = new LinkedHashMap<>();

    static {
        EXAMPLES.put("seed-basics", SeedBasics::run);
        EXAMPLES.put("linear-regression", LinearRegression::run);
        EXAMPLES.put("polynomial-regression", PolynomialRegression::run);
        EXAMPLES.put("equation-puzzle", EquationPuzzle::run);
    }

    private Main() {
    }

    /** What {@code ./quiver} with no arguments prints. */
    public static String usage() {
        return """
                usage: quiver <command> [options]
                commands:
                  seed-basics            tensors, variables and GradientTape, print for print
                  linear-regression      fit y = 7x + 4 by gradient descent, with plots
                  polynomial-regression  recover x^2 + 2x + 3 with Nadam, with a plot
                  equation-puzzle        solve A+B=9, C-D=1, A+C=8, B-D=2 with Nadam
                  all                    every example above, in order
                  compare                every example on several backends (--backend cpu,opencl; default:
                                         all that can run): same numbers? µs per training step, transfers
                  diagnose               every backend found and whether it can run here
                  test                   (launcher only) build and run every test: ./mvnw -B verify
                """ + ExampleArgs.OPTIONS_USAGE;
    }

    /** Runs the command named by {@code args[0]} with the options that follow; exits 2 on a usage error. */
    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(usage());
            System.exit(args.length == 0 ? 2 : 0);
        }
        String command = args[0];
        ExampleArgs options;
        try {
            options = ExampleArgs.parse(Arrays.copyOfRange(args, 1, args.length));
        } catch (IllegalArgumentException badOption) {
            System.err.println("quiver " + command + ": " + badOption.getMessage());
            System.exit(2);
            return;
        }
        if (command.equals("compare")) {
            // --backend takes a list here; each tutorial runs on each backend in this one process
            boolean agree = BackendComparison.run(BackendComparison.parseBackends(options.backend()),
                    new ExampleArgs(null, options.seed(), options.plotDirectory(), false), System.out);
            System.exit(agree ? 0 : 1);
        }
        if (!command.equals("all") && !command.equals("diagnose") && !EXAMPLES.containsKey(command)) {
            System.err.println("quiver: unknown command '" + command + "'\n" + usage());
            System.exit(2);
        }
        if (options.backend() != null) {
            // Chosen once here, so that `all` runs every example on one backend instance; a backend that cannot
            // run is reported with its reason and nothing runs.
            try {
                options.selectBackend();
            } catch (IllegalArgumentException | IllegalStateException unusable) {
                System.err.println("quiver: " + unusable.getMessage());
                System.err.print(Quiver.diagnose());
                System.exit(1);
            }
            options = new ExampleArgs(null, options.seed(), options.plotDirectory(), options.plots());
        }
        ExampleArgs chosen = options;
        switch (command) {
            case "diagnose" -> System.out.print(Quiver.diagnose());
            case "all" -> EXAMPLES.forEach((name, example) -> {
                System.out.println("===== " + name);
                example.accept(chosen, System.out);
                System.out.println();
            });
            default -> EXAMPLES.get(command).accept(chosen, System.out);
        }
    }
}
