"""Frame source stage: video files in, `(timestamp_ms, rgb)` frames out."""

from posture.source.video import VideoInfo, VideoSource, open_video, probe, sample_brightness

__all__ = ["VideoInfo", "VideoSource", "open_video", "probe", "sample_brightness"]
