"""Writing media: the one place video is encoded (reading is `posture.source`'s job)."""

from posture.io.video_writer import VideoWriter, read_mp4, write_mp4

__all__ = ["VideoWriter", "read_mp4", "write_mp4"]
