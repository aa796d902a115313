"""N-Caltech101 (Orchard et al., 2015): saccading ATIS recordings of Caltech-101 images, 100 objects + background."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, UnsplitDataset, batched, class_files, extent, find_top, unknown_folders
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.atis_bin import read_atis_bin

# the Caltech-101 categories less "Faces" (N-Caltech101 kept "Faces_easy" only), plus the background class;
# in Python's sorted order (capitals first), which is SpikingJelly's label order
CLASSES = tuple(
    sorted(
        (
            "accordion", "airplanes", "anchor", "ant", "BACKGROUND_Google", "barrel", "bass", "beaver",
            "binocular", "bonsai", "brain", "brontosaurus", "buddha", "butterfly", "camera", "cannon", "car_side",
            "ceiling_fan", "cellphone", "chair", "chandelier", "cougar_body", "cougar_face", "crab", "crayfish",
            "crocodile", "crocodile_head", "cup", "dalmatian", "dollar_bill", "dolphin", "dragonfly",
            "electric_guitar", "elephant", "emu", "euphonium", "ewer", "Faces_easy", "ferry", "flamingo",
            "flamingo_head", "garfield", "gerenuk", "gramophone", "grand_piano", "hawksbill", "headphone",
            "hedgehog", "helicopter", "ibis", "inline_skate", "joshua_tree", "kangaroo", "ketch", "lamp", "laptop",
            "Leopards", "llama", "lobster", "lotus", "mandolin", "mayfly", "menorah", "metronome", "minaret",
            "Motorbikes", "nautilus", "octopus", "okapi", "pagoda", "panda", "pigeon", "pizza", "platypus",
            "pyramid", "revolver", "rhino", "rooster", "saxophone", "schooner", "scissors", "scorpion",
            "sea_horse", "snoopy", "soccer_ball", "stapler", "starfish", "stegosaurus", "stop_sign", "strawberry",
            "sunflower", "tick", "trilobite", "umbrella", "watch", "water_lilly", "wheelchair", "wild_cat",
            "windsor_chair", "wrench", "yin_yang",
        )
    )
)
_MENDELEY = (
    "https://data.mendeley.com/public-files/datasets/cy6cvx3ryv/files/36b5c52a-b49d-4853-addb-a836a8883e49/"
    "file_downloaded"
)


class NCaltech101(UnsplitDataset):
    """N-Caltech101: 101 classes (100 Caltech-101 objects and ``BACKGROUND_Google``), ATIS 40-bit ``.bin``.

    ``NCaltech101(root, data_type='frame', frames_number=10, split_by='number')`` holds every sample, as
    SpikingJelly's; ``train=True/False`` selects a seeded stratified 9:1 partition (there is no official
    split). Coordinates are the file's, on SpikingJelly's 240x180 frame; each sample's own extent (the
    image size, which varies) is in its metadata (``width``, ``height``). Tonic shifts every sample so
    that its smallest x and y are 0; `neurodata.compat.tonic` does the same.
    """

    name = "n-caltech101"
    sensor = SensorSize(240, 180)
    classes = CLASSES
    resources = (
        Resource(
            "Caltech101.zip",
            (_MENDELEY,),
            md5="66201824eabb0239c7ab992480b50ba3",
            manual="The official page is https://www.garrickorchard.com/datasets/n-caltech101 (Mendeley Data "
            "cy6cvx3ryv).",
        ),
    )

    raw_suffixes = (".bin",)
    tree_layout = "Caltech101/<class>/*.bin"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return (folder / "Caltech101" / "airplanes").is_dir()

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        top = find_top(extracted, "Caltech101", cls.name, cls.classes)
        unknown_folders(top, cls.classes, cls.name)
        return batched(class_files(top, cls.classes, ".bin", cls.name), 128)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        out = []
        for path, label, meta in task:
            ev = read_atis_bin(path)
            out.append((ev, label, {**meta, **extent(ev)}))
        return out
