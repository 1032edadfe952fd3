"""The per-channel limits table (pure): the providers' documented limits, capped by what
the desk accepts as an upload."""

from __future__ import annotations

from channels_app.attachment_limits import FileFacts, check_files, content_type_of, limits_for

MB = 1024 * 1024


def test_telegram_takes_files_up_to_fifty_megabytes_when_the_desk_takes_them(settings):
    settings.OMNIDESK_MAX_WEBHOOK_BYTES = 200 * MB
    telegram = limits_for("telegram")

    assert telegram.max_file_bytes == 50 * MB
    assert check_files(telegram, [FileFacts("video.mp4", "video/mp4", 49 * MB)]) == []
    assert check_files(telegram, [FileFacts("backup.zip", "application/zip", 60 * MB)]) == [
        "backup.zip is 60 MB: Telegram takes files of this type up to 50 MB."
    ]


def test_every_limit_is_capped_by_the_largest_upload_the_desk_reads(settings):
    settings.OMNIDESK_MAX_WEBHOOK_BYTES = 10 * MB + 64 * 1024

    assert limits_for("telegram").max_file_bytes == 10 * MB
    assert limits_for("whatsapp").rule_for("application/pdf").max_bytes == 10 * MB
    assert limits_for("whatsapp").rule_for("image/png").max_bytes == 5 * MB


def test_sms_carries_files_only_where_twilio_sends_mms():
    assert limits_for("sms", sender="+14155550100").channel == "MMS"
    assert not limits_for("sms", sender="+442071838750").carries_files
    assert limits_for("sms", config={"mms": True}, sender="+442071838750").carries_files
    assert not limits_for("sms", config={"mms": False}, sender="+14155550100").carries_files
    refused = check_files(
        limits_for("sms", sender="+442071838750"), [FileFacts("a.png", "image/png", 10)]
    )
    assert refused and "cannot send MMS" in refused[0]


def test_channels_without_files_and_configured_ones():
    assert not limits_for("webform").carries_files
    assert limits_for("email", config={"max_attachment_bytes": 5 * MB}).max_total_bytes == 5 * MB
    assert limits_for("webchat", config={"max_attachment_bytes": "nonsense"}).max_file_bytes > 0


def test_instagram_takes_images_video_and_audio_only():
    instagram = limits_for("instagram")

    assert check_files(instagram, [FileFacts("a.gif", "image/gif", MB)]) == []
    assert check_files(instagram, [FileFacts("big.png", "image/png", 9 * MB)]) == [
        "big.png is 9 MB: Instagram takes files of this type up to 8 MB."
    ]
    assert check_files(instagram, [FileFacts("a.pdf", "application/pdf", MB)]) == [
        "Instagram cannot carry a.pdf (application/pdf)."
    ]


def test_a_files_type_is_what_the_browser_said_or_a_guess_from_its_name():
    assert content_type_of("scan.JPG", "") == "image/jpeg"
    assert content_type_of("x.pdf", "application/octet-stream") == "application/pdf"
    assert content_type_of("x.bin", "image/jpg") == "image/jpeg"
    assert content_type_of("noext", None) == "application/octet-stream"
