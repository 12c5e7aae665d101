"""PyTorch eager peer of Quiver's GPU benchmark: the linear-regression tutorial's training step (a fresh batch from
randn, y = 7x + 4 + noise, prediction x*w + b, mean squared error, backward, SGD with lr 0.03) at batch 64 and 1M,
timed like GpuBenchmark (3 warm-up steps, best of two timed rounds, synchronised at the end of each round).

    python3 torch_step.py OUT_FOLDER     # writes OUT_FOLDER/torch.txt and, if quiver-cuda.txt is there, ratios
"""
import os
import re
import sys
import time

import torch


def training_step_micros(batch, steps, device):
    generator = torch.Generator(device=device).manual_seed(42)
    w = torch.tensor(10.0, device=device, requires_grad=True)
    b = torch.tensor(1.0, device=device, requires_grad=True)

    def step():
        x = torch.randn(batch, 1, device=device, generator=generator)
        noise = torch.randn(batch, 1, device=device, generator=generator)
        y = x * 7.0 + 4.0 + noise
        loss = ((y - (x * w + b)) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(0.03 * w.grad)
            b.sub_(0.03 * b.grad)
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


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(folder, exist_ok=True)
    device = "cuda"
    lines = [f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}"]
    torch_micros = {}
    for batch, steps in ((64, 500), (1 << 20, 100)):
        micros, w, b = training_step_micros(batch, steps, device)
        torch_micros[batch] = micros
        lines.append(f"torch eager training step batch {batch}: {micros:.1f} µs/step (w={w:.3f} b={b:.3f})")
    quiver = os.path.join(folder, "quiver-cuda.txt")
    if os.path.exists(quiver):
        with open(quiver, encoding="utf-8") as text:
            for match in re.finditer(r"training step batch (\d+): ([0-9.]+) µs/step", text.read()):
                batch, micros = int(match.group(1)), float(match.group(2))
                if batch in torch_micros:
                    lines.append(f"batch {batch}: Quiver {micros:.1f} µs/step, PyTorch eager {torch_micros[batch]:.1f}"
                                 f" µs/step, Quiver/PyTorch time ratio {micros / torch_micros[batch]:.2f}")
    with open(os.path.join(folder, "torch.txt"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
