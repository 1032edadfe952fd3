"""Twilio: SMS/MMS in and out, delivery statuses, and voice calls (one number, one endpoint).

Webhooks: /hooks/twilio/<key>/sms, /voice, /status, /call-status, /recording,
/transcription. Every request is checked with Twilio's own RequestValidator against
the public URL Twilio was given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from channels_app.adapters import register
from channels_app.adapters.base import Adapter, UnparseablePayload
from channels_app.adapters.http import call, download, provider_url
from channels_app.types import (
    DeliveryError,
    DeliveryStatus,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    SendResult,
)

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

# Twilio's message statuses -> ours.
STATUS_MAP = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
# Twilio's clock and ours may disagree a little when matching an earlier attempt.
CLOCK_SKEW = timedelta(minutes=2)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DEFAULT_GREETING = "Thanks for calling. Please leave a message after the tone."


def _route(request: HttpRequest) -> str:
    return request.path.rstrip("/").rsplit("/", 1)[-1]


def _hook_url(endpoint: ChannelEndpoint, route: str) -> str:
    return f"{settings.OMNIDESK_PUBLIC_URL}/hooks/twilio/{endpoint.key}/{route}"


class TwilioAdapter(Adapter):
    kind = "sms"
    provider = "twilio"

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        token = endpoint.credentials.get("auth_token", "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature:
            return False
        url = settings.OMNIDESK_PUBLIC_URL + request.get_full_path()
        params = {name: request.POST.get(name) for name in request.POST}
        return RequestValidator(token).validate(url, params, signature)

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        data = request.POST
        route = _route(request)
        if route == "sms":
            return [self._sms(data)]
        if route == "voice":
            return [self._call(data, endpoint)]
        if route in ("call-status", "recording", "transcription"):
            return [self._call_update(data, route)]
        if route == "status":
            return []
        raise UnparseablePayload(f"unknown Twilio webhook '{route}'")

    def status(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[DeliveryStatus]:
        if _route(request) != "status":
            return []
        data = request.POST
        sid = data.get("MessageSid") or data.get("SmsSid")
        raw_status = (data.get("MessageStatus") or data.get("SmsStatus") or "").lower()
        if not sid or raw_status not in STATUS_MAP:
            raise UnparseablePayload("status callback without MessageSid/MessageStatus")
        error = ""
        if data.get("ErrorCode"):
            error = f"Twilio error {data['ErrorCode']}"
            if data.get("ErrorMessage"):
                error += f": {data['ErrorMessage']}"
        elif STATUS_MAP[raw_status] == "failed":
            error = f"Twilio reported the message {raw_status}."
        return [DeliveryStatus(provider_message_id=sid, status=STATUS_MAP[raw_status], error=error)]

    def _sms(self, data) -> InboundMessage:
        sid, sender = data.get("MessageSid") or data.get("SmsSid"), data.get("From")
        if not sid or not sender:
            raise UnparseablePayload("SMS webhook without MessageSid or From")
        media = []
        for index in range(int(data.get("NumMedia") or 0)):
            url = data.get(f"MediaUrl{index}", "")
            content_type = data.get(f"MediaContentType{index}", "application/octet-stream")
            extension = content_type.rsplit("/", 1)[-1]
            media.append(
                InboundAttachment(
                    filename=f"{sid}-{index}.{extension}", content_type=content_type, url=url
                )
            )
        return InboundMessage(
            provider_id=sid,
            identities={"phone": sender},
            text=data.get("Body", ""),
            sender_name=data.get("ProfileName", ""),
            attachments=tuple(media),
            metadata={"delivered_to": data.get("To", ""), "segments": data.get("NumSegments", "")},
        )

    def _call(self, data, endpoint: ChannelEndpoint) -> InboundMessage:
        sid, caller = data.get("CallSid"), data.get("From")
        if not sid or not caller:
            raise UnparseablePayload("voice webhook without CallSid or From")
        mode = self._voice_config(endpoint).get("mode", "voicemail")
        return InboundMessage(
            provider_id=sid,
            identities={"phone": caller},
            kind="call",
            text=f"Incoming call from {caller}",
            sender_name=data.get("CallerName", ""),
            metadata={
                "call": {
                    "sid": sid,
                    "status": data.get("CallStatus", ""),
                    "direction": data.get("Direction", "inbound"),
                    "to": data.get("To", ""),
                    "handling": mode,
                }
            },
        )

    def _call_update(self, data, route: str) -> InboundMessage:
        sid = data.get("CallSid")
        if not sid:
            raise UnparseablePayload(f"{route} callback without CallSid")
        details: dict[str, str] = {}
        if route == "call-status":
            details = {"status": data.get("CallStatus", ""), "duration": data.get("CallDuration")}
            provider_id = f"call-status:{sid}:{data.get('CallStatus', '')}"
        elif route == "recording":
            recording_sid = data.get("RecordingSid")
            if not recording_sid or not data.get("RecordingUrl"):
                raise UnparseablePayload("recording callback without RecordingSid/RecordingUrl")
            details = {
                "recording_sid": recording_sid,
                "recording_url": f"{data['RecordingUrl']}.mp3",
                "recording_duration": data.get("RecordingDuration", ""),
            }
            provider_id = f"recording:{recording_sid}"
        else:
            transcription_sid = data.get("TranscriptionSid")
            if not transcription_sid:
                raise UnparseablePayload("transcription callback without TranscriptionSid")
            details = {
                "transcription": data.get("TranscriptionText", ""),
                "transcription_status": data.get("TranscriptionStatus", ""),
            }
            provider_id = f"transcription:{transcription_sid}"
        return InboundMessage(
            provider_id=provider_id,
            identities={},
            kind="call_update",
            metadata={"call_sid": sid, "call": {k: v for k, v in details.items() if v}},
        )

    def fetch_media(self, url: str, endpoint: ChannelEndpoint) -> tuple[bytes, str] | None:
        """MMS media and recordings; Twilio may require HTTP auth on media URLs."""
        # Only Twilio's own API host: these requests carry the account's credentials.
        if not url.startswith(provider_url("twilio", "/")):
            return None
        credentials = endpoint.credentials
        return download(url, auth=(credentials["account_sid"], credentials["auth_token"]))

    def respond(
        self, request: HttpRequest, endpoint: ChannelEndpoint, messages: list[InboundMessage]
    ) -> HttpResponse:
        if _route(request) == "voice" and messages:
            return HttpResponse(self.voice_twiml(endpoint), content_type="text/xml")
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    @staticmethod
    def _voice_config(endpoint: ChannelEndpoint) -> dict:
        return endpoint.config.get("voice") or {}

    def voice_twiml(self, endpoint: ChannelEndpoint) -> str:
        """TwiML for an incoming call: forward to a number (falling back to voicemail when
        nobody answers) or go straight to voicemail; recordings and transcriptions call
        back to attach themselves to the call item."""
        voice = self._voice_config(endpoint)
        response = VoiceResponse()
        if voice.get("mode") == "forward" and voice.get("forward_to"):
            response.dial(
                voice["forward_to"],
                timeout=int(voice.get("ring_seconds", 20)),
                record="record-from-answer-dual" if voice.get("record_calls") else None,
                recording_status_callback=_hook_url(endpoint, "recording")
                if voice.get("record_calls")
                else None,
            )
        response.say(voice.get("greeting") or DEFAULT_GREETING)
        response.record(
            max_length=int(voice.get("max_length_seconds", 120)),
            play_beep=True,
            recording_status_callback=_hook_url(endpoint, "recording"),
            recording_status_callback_event="completed",
            transcribe=bool(voice.get("transcribe", True)),
            transcribe_callback=_hook_url(endpoint, "transcription")
            if voice.get("transcribe", True)
            else None,
        )
        response.hangup()
        return str(response)

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        """POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form-encoded, basic auth)."""
        account_sid = endpoint.credentials.get("account_sid", "")
        auth_token = endpoint.credentials.get("auth_token", "")
        sender = endpoint.credentials.get("phone_number") or endpoint.config.get("phone_number")
        service_sid = endpoint.config.get("messaging_service_sid", "")
        if not account_sid or not auth_token or not (sender or service_sid):
            raise DeliveryError(
                "Twilio credentials are incomplete (account_sid, auth_token, phone_number).",
                permanent=True,
            )
        if not message.to:
            raise DeliveryError("No phone number to send to.", permanent=True)
        messages_url = provider_url("twilio", f"/2010-04-01/Accounts/{account_sid}/Messages.json")
        if message.metadata.get("attempt", 1) > 1 and sender:
            # Twilio has no idempotency key: before a retry, look for what an earlier
            # attempt (one that timed out or lost its answer) may already have sent.
            earlier = self._already_sent(message, messages_url, sender, (account_sid, auth_token))
            if earlier:
                return SendResult(provider_message_id=earlier)
        fields: list[tuple[str, str]] = [("To", message.to), ("Body", message.text)]
        fields.append(("MessagingServiceSid", service_sid) if service_sid else ("From", sender))
        fields.append(("StatusCallback", _hook_url(endpoint, "status")))
        for attachment in message.attachments:
            # MMS media by link: Twilio fetches each URL (the desk's signed link).
            url = attachment.get("public_url") or attachment.get("url")
            if url:
                fields.append(("MediaUrl", url))
        response = call(
            "POST",
            messages_url,
            data=fields,
            auth=(account_sid, auth_token),
        )
        body = response.json()
        if body.get("status") in ("failed", "undelivered"):
            refused = body.get("error_message") or "Twilio refused the message."
            raise DeliveryError(refused, permanent=True)
        return SendResult(provider_message_id=body["sid"])

    @staticmethod
    def _already_sent(
        message: OutboundMessage, url: str, sender: str, auth: tuple[str, str]
    ) -> str:
        """The SID of a message to the same number with the same body, created since our
        message was queued, or ""."""
        created = datetime.fromisoformat(message.metadata["created_at"])
        try:
            listing = call(
                "GET",
                url,
                # Newest first; no DateSent filter, which would hide a still-queued one.
                params={"To": message.to, "From": sender, "PageSize": "50"},
                auth=auth,
            ).json()
        except DeliveryError:
            return ""
        for item in listing.get("messages", []):
            try:
                item_created = parsedate_to_datetime(item.get("date_created") or "")
            except (TypeError, ValueError):
                continue
            if (
                item.get("body") == message.text
                and item_created >= created - CLOCK_SKEW
                and item.get("status") not in ("failed", "undelivered", "canceled")
            ):
                return item["sid"]
        return ""


register(TwilioAdapter())
