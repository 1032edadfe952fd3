"""The embeddable live-chat widget: script, bootstrap, uploads, visitor identity.

The websocket side lives in `channels_app/consumers.py` (`WidgetConsumer`); agent
replies reach the visitor through the `webchat` adapter in `adapter.py`.
"""
