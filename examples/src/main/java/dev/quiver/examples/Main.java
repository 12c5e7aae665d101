package dev.quiver.examples;

import dev.quiver.Quiver;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The entry point of the {@code ./quiver} launcher: runs one example, or all of them, by command name.
 * {@code quiver <command> --help} prints that command's help.
 *
 * <pre>{@code
 * java -cp 'examples/target/quiver-examples-0.1.0-SNAPSHOT.jar:examples/target/lib/*' \
 *      --add-modules jdk.incubator.vector dev.quiver.examples.Main linear-regression --backend cpu --seed 7
 * ./quiver all --no-plots              # the same through the launcher
 * ./quiver linear-regression --help    # what it does and its options
 * ./quiver diagnose                    # every backend found, and why it can or cannot run
 * }</pre>
 */
public final class Main {
    /** Exit status of a run that could not start on the backend asked for. */
    static final int BACKEND_UNUSABLE = 1;
    /** Exit status of a command line that is not understood. */
    static final int USAGE_ERROR = 2;

    /**
     * A command: its one-line summary for the overview, the text of its own {@code --help}, and whether it takes
     * the shared options.
     */
    private record Command(String summary, String help, boolean takesOptions) {
    }

    private static final Map<String, BiConsumer<ExampleArgs, PrintStream>> EXAMPLES = new LinkedHashMap<>();
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        EXAMPLES.put("seed-basics", SeedBasics::run);
        EXAMPLES.put("linear-regression", LinearRegression::run);
        EXAMPLES.put("polynomial-regression", PolynomialRegression::run);
        EXAMPLES.put("equation-puzzle", EquationPuzzle::run);
        EXAMPLES.put("batched-regression", BatchedRegression::run);
        COMMANDS.put("seed-basics", new Command("tensors, variables and GradientTape, print for print", """
                The first TensorFlow tutorial's tensor and GradientTape sections in Java, print for print: constants
                and dtypes, variables, matmul, first and second derivatives, watched constants, persistent tapes,
                stopGradient and a Jacobian. Where Python prints None (no gradient), Java prints null.""", true));
        COMMANDS.put("linear-regression", new Command("fit y = 7x + 4 by gradient descent, with plots", """
                Fits y = w*x + b to noisy samples of y = 7x + 4 from w = 10, b = 1: 100 iterations of plain
                gradient descent (learning rate 0.03) on a fresh batch of 64 samples drawn on the backend each
                iteration. Prints w and b every 10 iterations; plots one batch with both lines, and w and b per
                iteration.""", true));
        COMMANDS.put("polynomial-regression", new Command("recover x^2 + 2x + 3 with Nadam, with a plot", """
                Recovers the coefficients of x^2 + 2x + 3 from 20 samples with features [x^2, x, 1] and Nadam(0.1),
                2000 steps. Prints the loss every 500 steps and the coefficients found; plots samples and fit.
                --compiled: the same steps through a compiled TrainingStep.""",
                true));
        COMMANDS.put("equation-puzzle", new Command("solve A+B=9, C-D=1, A+C=8, B-D=2 with Nadam", """
                Solves A+B=9, C-D=1, A+C=8, B-D=2 by minimising the squared residuals with Nadam(0.1), 1000 steps;
                the system has a line of solutions, so the one found depends on the seed. Plots the loss per step
                on a log axis. --compiled: the same steps through a compiled TrainingStep.""", true));
        COMMANDS.put("batched-regression", new Command("fit 10,000 independent lines at once in one compiled step",
                """
                Fits 10,000 independent lines y = w_k*x + b_k + noise (each with its own true w_k, b_k) at once:
                parameters W, B of shape (10000, 1), a batch of 64 samples per line drawn on the backend inside
                the step, SGD(0.05), 100 steps of one compiled TrainingStep; the loss is the sum of each line's mean
                squared error, so each line gets its own fit's gradient. Prints the recovery error, samples/s and
                µs per step; plots recovered vs true w and b, and each line's error.""", true));
        COMMANDS.put("all", new Command("every example above, in order", """
                Runs seed-basics, linear-regression, polynomial-regression, equation-puzzle and batched-regression
                in one JVM on one backend. Each µs/step figure is a cold first run (JIT compilation included); compare reports the
                warm ones.""", true));
        COMMANDS.put("compare", new Command("every example on several backends: same numbers? µs/step, transfers",
                """
                Runs every example on several backends in one JVM and prints, side by side, whether they print the
                same numbers, the cold and warm µs per training step, and the host transfers of each training loop.
                --backend takes a list here (--backend cpu,opencl); without it, every backend that can run here.
                Exits 1 when the backends disagree.""", true));
        COMMANDS.put("diagnose", new Command("every backend found and whether it can run here", """
                Prints every backend provider on the class path, its priority and whether it can run here (with
                its device, or the reason it cannot), and whether the JVM has the Vector API module and native
                access enabled.""", false));
    }

    private Main() {
    }

    /**
     * What {@code ./quiver} with no arguments prints.
     *
     * @return every command with a one-line summary, then the shared options
     */
    public static String usage() {
        StringBuilder usage = new StringBuilder("usage: quiver <command> [options]    (quiver <command> --help: "
                + "more about one)\ncommands:\n");
        COMMANDS.forEach((name, command) -> usage.append(String.format(Locale.ROOT, "  %-22s %s%n", name,
                command.summary())));
        usage.append("  test                   (launcher only) build and run every test: ./mvnw -B verify\n");
        return usage + ExampleArgs.OPTIONS_USAGE;
    }

    /**
     * What {@code quiver <command> --help} prints, or null for a command that does not exist.
     *
     * @param name a command name such as {@code linear-regression}
     * @return the usage line, what the command does and its options
     */
    public static String help(String name) {
        Command command = COMMANDS.get(name);
        if (command == null) {
            return null;
        }
        return "usage: quiver " + name + (command.takesOptions() ? " [options]" : "") + "\n" + command.help() + "\n"
                + (command.takesOptions() ? ExampleArgs.OPTIONS_USAGE + "\n" : "");
    }

    /**
     * Runs the command named by {@code args[0]} with the options that follow and exits with its status.
     *
     * @param args the command, then its options
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command with its options and exits with its status: the example classes' own {@code main} methods,
     * so that they answer {@code --help} and report backend errors as {@code quiver <command>} does.
     *
     * @param command a command name such as {@code linear-regression}
     * @param options the options that follow it
     */
    static void runCommand(String command, String[] options) {
        String[] args = new String[options.length + 1];
        args[0] = command;
        System.arraycopy(options, 0, args, 1, options.length);
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs a command line and returns its exit status instead of exiting (tests call it): 0 when it ran, 1 when
     * the backend asked for cannot be used or {@code compare} found disagreeing backends, 2 for a usage error.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || isHelp(args[0]) || args[0].equals("help")) {
            out.println(usage());
            return args.length == 0 ? USAGE_ERROR : 0;
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (!COMMANDS.containsKey(command)) {
            err.println("quiver: unknown command '" + command + "'\n" + usage());
            return USAGE_ERROR;
        }
        if (rest.stream().anyMatch(Main::isHelp)) {
            out.print(help(command));
            return 0;
        }
        ExampleArgs options;
        try {
            options = ExampleArgs.parse(rest.toArray(String[]::new));
        } catch (IllegalArgumentException badOption) {
            err.println("quiver " + command + ": " + badOption.getMessage());
            return USAGE_ERROR;
        }
        if (command.equals("diagnose")) {
            out.print(Quiver.diagnose());
            return 0;
        }
        try {
            if (command.equals("compare")) {
                // --backend takes a list here; each tutorial runs on each backend in this one process
                boolean agree = BackendComparison.run(BackendComparison.parseBackends(options.backend()),
                        new ExampleArgs(null, options.seed(), options.plotDirectory(), false), out);
                return agree ? 0 : 1;
            }
            // Chosen once here, from --backend, -Dquiver.backend or $QUIVER_BACKEND, so that `all` runs every
            // example on one backend instance and a backend that cannot run stops the run before it starts.
            options.selectBackend();
        } catch (RuntimeException | LinkageError unusable) {
            // whatever a provider throws (unknown name, no device, a native library that fails to load): one
            // line with its reason, no stack trace; `quiver diagnose` has the whole picture
            err.println("quiver " + command + ": " + reason(unusable, options.backend())
                    + "; see: quiver diagnose");
            return BACKEND_UNUSABLE;
        }
        ExampleArgs chosen = new ExampleArgs(null, options.seed(), options.plotDirectory(), options.plots());
        if (command.equals("all")) {
            EXAMPLES.forEach((name, example) -> {
                out.println("===== " + name);
                example.accept(chosen, out);
                out.println();
            });
        } else {
            EXAMPLES.get(command).accept(chosen, out);
        }
        return 0;
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }

    /** The failure's own message, with "Quiver.use" (how Main passes it on) named as the user gave it. */
    private static String reason(Throwable failure, String backendOption) {
        String message = failure.getMessage() != null ? failure.getMessage() : failure.toString();
        if (backendOption != null) {
            message = message.replace("(from Quiver.use)", "(from --backend)");
        }
        return message;
    }
}
