"""The model directory SageMaker tars into model.tar.gz (and the EC2 trainer tars itself).

model.pth (state_dict), labels.json (classes + what inference needs to rebuild the model) and
code/ with inference.py and the one module it imports, so the endpoint needs nothing from the
network (the by-hand project's endpoint downloaded ImageNet weights at load time).
"""
import json
import os
import shutil

import torch

from .modeling import LABELS_FILE, WEIGHTS_FILE, labels_document

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# inference.py and everything it imports, relative to training/.
SERVING_FILES = ("inference.py", os.path.join("dogbreed", "__init__.py"), os.path.join("dogbreed", "modeling.py"))


def write(model_dir, state_dict, arch, image_size, class_folders):
    os.makedirs(model_dir, exist_ok=True)
    torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, os.path.join(model_dir, WEIGHTS_FILE))
    with open(os.path.join(model_dir, LABELS_FILE), "w", encoding="utf-8") as f:
        json.dump(labels_document(arch, image_size, class_folders), f, indent=2)
        f.write("\n")
    code_dir = os.path.join(model_dir, "code")
    for rel in SERVING_FILES:
        target = os.path.join(code_dir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(TRAINING_DIR, rel), target)
