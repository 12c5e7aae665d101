"""PyTorch peers of Quiver's GPU benchmark: the linear-regression tutorial's training step (a fresh batch from
randn, y = 7x + 4 + noise, prediction x*w + b, mean squared error, backward, SGD with lr 0.03) at batch 64 and 1M,
eager and captured as a CUDA graph, timed like GpuBenchmark (3 warm-up steps, best of two timed rounds, synchronised
at the end of each round).

    python3 torch_step.py OUT_FOLDER     # writes OUT_FOLDER/torch.txt and, if quiver-cuda.txt is there, ratios
"""
import os
import re
import sys
import time

import torch


def linear_regression_step(batch, w, b, device, generator=None):
    """One step of the tutorial: draw, forward, backward, SGD update; returns the loss."""
    def step():
        x = torch.randn(batch, 1, device=device, generator=generator)
        noise = torch.randn(batch, 1, device=device, generator=generator)
        y = x * 7.0 + 4.0 + noise
        loss = ((y - (x * w + b)) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(0.03 * w.grad)
            b.sub_(0.03 * b.grad)
        return loss
    return step


def training_step_micros(batch, steps, device):
    generator = torch.Generator(device=device).manual_seed(42)
    w = torch.tensor(10.0, device=device, requires_grad=True)
    b = torch.tensor(1.0, device=device, requires_grad=True)
    update = linear_regression_step(batch, w, b, device, generator)

    def step():
        update()
        w.grad = None
        b.grad = None

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / steps)
    return best * 1e6, w.item(), b.item()


def graphed_training_step_micros(batch, steps, device):
    """The same step captured as one CUDA graph (torch.cuda.graph, whole-step capture as PyTorch's docs show it:
    warm-up on a side stream, gradients set to None before the capture), replayed once per step."""
    torch.manual_seed(42)
    w = torch.tensor(10.0, device=device, requires_grad=True)
    b = torch.tensor(1.0, device=device, requires_grad=True)
    step = linear_regression_step(batch, w, b, device)   # the default generator: graph-safe in a capture

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            w.grad = None
            b.grad = None
            step()
    torch.cuda.current_stream().wait_stream(side)
    w.grad = None
    b.grad = None
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    for _ in range(3):
        graph.replay()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        for _ in range(steps):
            graph.replay()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / steps)
    return best * 1e6, w.item(), b.item()


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(folder, exist_ok=True)
    device = "cuda"
    lines = [f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}"]
    torch_micros = {}
    graphed_micros = {}
    for batch, steps in ((64, 500), (1 << 20, 100)):
        micros, w, b = training_step_micros(batch, steps, device)
        torch_micros[batch] = micros
        lines.append(f"torch eager training step batch {batch}: {micros:.1f} µs/step (w={w:.3f} b={b:.3f})")
        try:
            micros, w, b = graphed_training_step_micros(batch, steps * 4, device)
            graphed_micros[batch] = micros
            lines.append(f"torch CUDA-graph training step batch {batch}: {micros:.2f} µs/step (w={w:.3f} b={b:.3f})")
        except Exception as failure:  # a capture PyTorch refuses is reported, not hidden
            lines.append(f"torch CUDA-graph training step batch {batch}: failed: {failure}")
    quiver = os.path.join(folder, "quiver-cuda.txt")
    if os.path.exists(quiver):
        with open(quiver, encoding="utf-8") as text:
            results = text.read()
            for match in re.finditer(r"(?<!compiled )training step batch (\d+): ([0-9.]+) µs/step", results):
                batch, micros = int(match.group(1)), float(match.group(2))
                if batch in torch_micros:
                    lines.append(f"batch {batch}: Quiver {micros:.1f} µs/step, PyTorch eager {torch_micros[batch]:.1f}"
                                 f" µs/step, Quiver/PyTorch time ratio {micros / torch_micros[batch]:.2f}")
            for match in re.finditer(r"compiled training step batch (\d+): ([0-9.]+) µs/step", results):
                batch, micros = int(match.group(1)), float(match.group(2))
                if batch in graphed_micros:
                    lines.append(f"batch {batch}: Quiver compiled {micros:.2f} µs/step, PyTorch CUDA graph "
                                 f"{graphed_micros[batch]:.2f} µs/step, ratio {micros / graphed_micros[batch]:.2f}")
    with open(os.path.join(folder, "torch.txt"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
