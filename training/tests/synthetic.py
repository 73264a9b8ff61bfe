"""Tiny synthetic ImageFolder data: classes that differ in colour and shape.

Used by the tests and by bench/training.py. Each image is a coloured shape at a random
position and size on a noisy grey background, saved as JPEG in <root>/{train,valid,test}/<NNN.Name>/.
"""
import os
import random

from PIL import Image, ImageDraw

CLASSES = (
    ("001.Red_circle", (220, 40, 40), "circle"),
    ("002.Green_square", (40, 200, 60), "square"),
    ("003.Blue_triangle", (40, 70, 220), "triangle"),
)


def draw(colour, shape, size, rng):
    image = Image.new("RGB", (size, size))
    pixels = image.load()
    for y in range(size):
        for x in range(size):
            g = 110 + rng.randint(-25, 25)
            pixels[x, y] = (g, g, g)
    d = ImageDraw.Draw(image)
    extent = rng.randint(size // 2, size - 4)
    x0 = rng.randint(0, size - extent)
    y0 = rng.randint(0, size - extent)
    box = (x0, y0, x0 + extent, y0 + extent)
    jitter = tuple(max(0, min(255, c + rng.randint(-20, 20))) for c in colour)
    if shape == "circle":
        d.ellipse(box, fill=jitter)
    elif shape == "square":
        d.rectangle(box, fill=jitter)
    else:
        d.polygon([(x0, y0 + extent), (x0 + extent // 2, y0), (x0 + extent, y0 + extent)], fill=jitter)
    return image


def make_dataset(root, per_class=None, size=40, seed=0, classes=CLASSES):
    """Write the dataset and return root. per_class: {"train": n, "valid": n, "test": n}."""
    per_class = per_class or {"train": 24, "valid": 8, "test": 8}
    rng = random.Random(seed)
    for split, count in per_class.items():
        for folder, colour, shape in classes:
            directory = os.path.join(root, split, folder)
            os.makedirs(directory, exist_ok=True)
            for i in range(count):
                draw(colour, shape, size, rng).save(os.path.join(directory, "%s_%03d.jpg" % (split, i)), quality=90)
    return root
