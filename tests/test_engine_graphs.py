"""The shape of the render graph: shared scaling steps are made once."""

from __future__ import annotations

from transcode.graphs import scale_cascade


def test_each_smaller_size_is_scaled_once_from_the_smallest_picture_that_covers_it() -> None:
    ladder = [(1920, 1080), (1280, 720), (854, 480), (640, 360), (1280, 720), (640, 360)]
    assert scale_cascade(ladder, (1920, 1080)) == {(1280, 720): None, (854, 480): (1280, 720), (640, 360): (854, 480)}


def test_sizes_the_picture_does_not_cover_scale_from_the_picture_itself() -> None:
    # a portrait phone picture: the 1280x720 box becomes 406x720 inside it, nothing covers it but the picture
    assert scale_cascade([(406, 720), (360, 640), (1920, 1080)], (720, 1280)) == {
        (406, 720): None,
        (360, 640): (406, 720),
    }
    assert scale_cascade([(720, 404), (640, 360)], (700, 400)) == {(640, 360): None}
