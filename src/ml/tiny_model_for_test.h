#pragma once
// Test helper: a tiny TorchScript backbone made with Debian's python3-torch (torch 1.13, the
// same version as libtorch). Header-only; for *_test.cc files only.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace loupe::ml {

// Builds a tiny TorchScript model with Debian's python3-torch (torch 1.13, like libtorch) and
// the embedding it gives for a uniform grey image. Returns false if python3-torch is missing.
inline bool MakeTinyModel(const std::filesystem::path& dir) {
  const char* script = R"PY(
import json, sys, torch
torch.manual_seed(0)
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 3, 2, 1)
        self.c2 = torch.nn.Conv2d(8, 16, 3, 2, 1)
    def forward(self, x):
        f = torch.relu(self.c2(torch.relu(self.c1(x))))
        return f.mean((2, 3)), f
out = sys.argv[1]
m = Tiny().eval()
torch.jit.trace(m, torch.zeros(1, 3, 32, 48)).save(out + "/tiny.pt")
json.dump({"input_size": [32, 48], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25],
           "output": "tuple"}, open(out + "/tiny.json", "w"))
x = torch.full((1, 3, 32, 48), (100 / 255 - 0.5) / 0.25)
e = torch.nn.functional.normalize(m(x)[0], dim=1)
json.dump(e[0].tolist(), open(out + "/expected.json", "w"))
)PY";
  std::ofstream(dir / "make_tiny.py") << script;
  std::string cmd = "/usr/bin/python3 " + (dir / "make_tiny.py").string() + " " + dir.string() +
                    " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && std::filesystem::exists(dir / "tiny.pt");
}

}  // namespace loupe::ml
