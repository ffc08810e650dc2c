"""The HTTP/2 protocol layer alone (emulator/h2_protocol.py), frame by frame: what RFC 9113 asks a server
to accept, refuse, and answer. Clients are real elsewhere (tests/wire/test_http2.py: httpx and Node's
http2; tests/e2e/test_js_sdk.py: the AWS SDK for JavaScript); here a test writes the bytes itself, so
each rule is checked on its own."""

from __future__ import annotations

import hpack
import pytest

from emulator import h2_protocol as h2p
from emulator.h2_protocol import ErrorCodes

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    range(10)
)
END_STREAM, ACK, END_HEADERS, PADDED = 0x1, 0x1, 0x4, 0x8

GET = [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "localhost")]


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes((kind, flags)) + stream_id.to_bytes(4, "big") + payload


def frames(data: bytes) -> list[tuple[int, int, int, bytes]]:
    found = []
    while data:
        length = int.from_bytes(data[:3], "big")
        found.append((data[3], data[4], int.from_bytes(data[5:9], "big"), data[9 : 9 + length]))
        data = data[9 + length :]
    return found


class Peer:
    """A client writing raw frames to a ServerConnection."""

    def __init__(self, **options: int) -> None:
        self.server = h2p.ServerConnection(**options)
        self.server.initiate_connection()
        self.encoder = hpack.Encoder()
        self.greeting = frames(self.server.data_to_send())
        self.events = self.send(h2p.PREFACE + frame(SETTINGS, 0, 0))
        assert frames(self.server.data_to_send()) == [(SETTINGS, ACK, 0, b"")]

    def send(self, data: bytes) -> list[h2p.Event]:
        return self.server.receive_data(data)

    def headers(
        self, stream_id: int, headers: list[tuple[str, str]], flags: int = END_STREAM | END_HEADERS
    ) -> list[h2p.Event]:
        return self.send(frame(HEADERS, flags, stream_id, self.encoder.encode(headers)))

    def out(self) -> list[tuple[int, int, int, bytes]]:
        return frames(self.server.data_to_send())

    def goaway(self, data: bytes) -> int:
        with pytest.raises(h2p.ProtocolError):
            self.send(data)
        (kind, _, _, payload), *_ = reversed(self.out())
        assert kind == GOAWAY
        return int.from_bytes(payload[4:8], "big")


def rst(stream_id: int, code: ErrorCodes) -> tuple[int, int, int, bytes]:
    return (RST_STREAM, 0, stream_id, int(code).to_bytes(4, "big"))


def test_the_server_speaks_first_with_its_settings_and_connection_window() -> None:
    peer = Peer(initial_window=1 << 20, connection_window=16 << 20, max_concurrent_streams=128)
    (kind, _, _, payload), (update, _, _, increment) = peer.greeting
    settings = {
        int.from_bytes(payload[i : i + 2], "big"): int.from_bytes(payload[i + 2 : i + 6], "big")
        for i in range(0, len(payload), 6)
    }
    assert kind == SETTINGS
    assert settings[0x4] == 1 << 20
    assert settings[0x3] == 128
    assert settings[0x2] == 0
    assert update == WINDOW_UPDATE
    assert int.from_bytes(increment, "big") == (16 << 20) - 65535


def test_a_request_with_a_body_becomes_events() -> None:
    peer = Peer()
    events = peer.headers(
        1, [(":method", "POST"), (":scheme", "http"), (":path", "/p"), ("content-length", "5")], END_HEADERS
    )
    events += peer.send(frame(DATA, 0, 1, b"he") + frame(DATA, END_STREAM | PADDED, 1, b"\x02llo\x00\x00"))
    assert isinstance(events[0], h2p.RequestReceived)
    assert events[0].headers[:3] == [(b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/p")]
    assert [(type(e).__name__, getattr(e, "data", None)) for e in events[1:]] == [
        ("DataReceived", b"he"),
        ("DataReceived", b"llo"),
        ("StreamEnded", None),
    ]
    assert events[2].flow_controlled_length == 6  # type: ignore[union-attr]  # padding counts


def test_a_response_decodes_to_what_was_sent_and_splits_into_continuations() -> None:
    peer = Peer()
    peer.headers(1, GET)
    big = b"v" * 40000
    peer.server.send_headers(
        1, [(b":status", b"200"), (b"content-type", b"application/json"), (b"x-big", big)]
    )
    peer.server.send_data(1, b"{}", end_stream=True)
    sent = peer.out()
    assert [kind for kind, *_ in sent] == [HEADERS, CONTINUATION, CONTINUATION, DATA]
    assert sent[-1][1] == END_STREAM
    assert sent[-2][1] == END_HEADERS
    assert sent[0][1] == 0
    block = b"".join(payload for kind, _, _, payload in sent if kind != DATA)
    assert hpack.Decoder().decode(block, raw=True) == [
        (b":status", b"200"),
        (b"content-type", b"application/json"),
        (b"x-big", big),
    ]
    with pytest.raises(h2p.StreamClosedError):
        peer.server.send_data(1, b"more")


def test_ping_is_answered_with_its_payload() -> None:
    peer = Peer()
    peer.send(frame(PING, 0, 0, b"12345678"))
    assert peer.out() == [(PING, ACK, 0, b"12345678")]


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ([(":method", "GET"), (":scheme", "http"), (":authority", "h")], "no :path"),
        ([*GET, ("Upper", "x")], "upper-case name"),
        ([*GET, ("connection", "keep-alive")], "connection-specific field"),
        ([*GET, ("te", "gzip")], "te other than trailers"),
        ([("x", "y"), *GET], "pseudo-header after a regular field"),
        ([*GET, (":path", "/again")], "pseudo-header twice"),
        ([*GET, (":status", "200")], "response pseudo-header"),
        ([*GET, ("x", "a\r\nb")], "CR LF in a value"),
        ([*GET, ("content-length", "x")], "content-length not a number"),
    ],
)
def test_malformed_requests_are_stream_errors_and_the_connection_lives_on(
    headers: list[tuple[str, str]], why: str
) -> None:
    peer = Peer()
    assert peer.headers(1, headers) == [], why
    assert peer.out() == [rst(1, ErrorCodes.PROTOCOL_ERROR)]
    assert isinstance(peer.headers(3, [*GET, ("te", "trailers")])[0], h2p.RequestReceived)


def test_a_body_shorter_or_longer_than_its_content_length_is_refused() -> None:
    peer = Peer()
    post = [(":method", "POST"), (":scheme", "http"), (":path", "/p"), ("content-length", "3")]
    peer.headers(1, post, END_HEADERS)
    events = peer.send(frame(DATA, END_STREAM, 1, b"ab"))
    assert isinstance(events[-1], h2p.StreamReset)
    assert events[-1].remote is False
    assert peer.out() == [rst(1, ErrorCodes.PROTOCOL_ERROR)]
    peer.headers(3, post, END_HEADERS)
    assert isinstance(peer.send(frame(DATA, 0, 3, b"abcd"))[-1], h2p.StreamReset)


def test_trailers_end_the_request_and_data_after_the_end_is_stream_closed() -> None:
    peer = Peer()
    peer.headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/p")], END_HEADERS)
    peer.send(frame(DATA, 0, 1, b"x"))
    assert isinstance(peer.headers(1, [("x-checksum", "1")])[-1], h2p.StreamEnded)
    peer.send(frame(DATA, 0, 1, b"late"))
    assert peer.out() == [rst(1, ErrorCodes.STREAM_CLOSED)]


def test_client_reset_is_reported_and_late_frames_for_it_are_dropped() -> None:
    peer = Peer()
    peer.headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/p")], END_HEADERS)
    events = peer.send(frame(RST_STREAM, 0, 1, (8).to_bytes(4, "big")))
    assert events == [h2p.StreamReset(1, 8, remote=True)]
    assert peer.send(frame(DATA, 0, 1, b"in flight")) == []
    assert peer.out() == []
    with pytest.raises(h2p.StreamClosedError):
        peer.server.send_headers(1, [(b":status", b"200")])


def test_header_block_over_continuations_and_interruptions() -> None:
    peer = Peer()
    block = peer.encoder.encode(GET)
    events = peer.send(
        frame(HEADERS, END_STREAM, 1, block[:3]) + frame(CONTINUATION, END_HEADERS, 1, block[3:])
    )
    assert isinstance(events[0], h2p.RequestReceived)
    block = peer.encoder.encode(GET)
    assert (
        peer.goaway(frame(HEADERS, END_STREAM, 3, block[:3]) + frame(PING, 0, 0, b"12345678"))
        == ErrorCodes.PROTOCOL_ERROR
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(DATA, 0, 0, b"x"), ErrorCodes.PROTOCOL_ERROR),
        (frame(DATA, 0, 9, b"x"), ErrorCodes.PROTOCOL_ERROR),  # idle stream
        (frame(PUSH_PROMISE, END_HEADERS, 1, b"\x00\x00\x00\x02"), ErrorCodes.PROTOCOL_ERROR),
        (frame(CONTINUATION, END_HEADERS, 1, b"\x82"), ErrorCodes.PROTOCOL_ERROR),
        (frame(PING, 0, 0, b"short"), ErrorCodes.FRAME_SIZE_ERROR),
        (frame(SETTINGS, 0, 0, b"\x00\x04\x80\x00\x00\x00"), ErrorCodes.FLOW_CONTROL_ERROR),
        (frame(SETTINGS, 0, 0, b"\x00\x05\x00\x00\x00\x01"), ErrorCodes.PROTOCOL_ERROR),
        (frame(SETTINGS, 0, 0, b"\x00\x02\x00\x00\x00\x02"), ErrorCodes.PROTOCOL_ERROR),
        (frame(SETTINGS, 0, 0, b"\x00\x04\x00"), ErrorCodes.FRAME_SIZE_ERROR),
        (frame(SETTINGS, ACK, 0, b"\x00\x04\x00\x00\x00\x00"), ErrorCodes.FRAME_SIZE_ERROR),
        (frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x00\x00"), ErrorCodes.PROTOCOL_ERROR),
        (frame(WINDOW_UPDATE, 0, 0, b"\x7f\xff\xff\xff"), ErrorCodes.FLOW_CONTROL_ERROR),
        (frame(WINDOW_UPDATE, 0, 7, b"\x00\x00\x00\x01"), ErrorCodes.PROTOCOL_ERROR),  # idle stream
        (frame(RST_STREAM, 0, 7, b"\x00\x00\x00\x08"), ErrorCodes.PROTOCOL_ERROR),  # idle stream
        (frame(PRIORITY, 0, 0, b"\x00\x00\x00\x01\x10"), ErrorCodes.PROTOCOL_ERROR),
        (frame(DATA, 0, 1, b"x" * 16385), ErrorCodes.FRAME_SIZE_ERROR),
        (frame(HEADERS, END_HEADERS | END_STREAM, 2, b"\x82"), ErrorCodes.PROTOCOL_ERROR),  # even id
        (frame(HEADERS, END_HEADERS | END_STREAM, 3, b"\xff\xff\xff\xff"), ErrorCodes.COMPRESSION_ERROR),
        (frame(HEADERS, END_HEADERS | PADDED, 3, b"\x09\x82"), ErrorCodes.PROTOCOL_ERROR),  # padding > frame
    ],
)
def test_connection_errors_get_goaway_with_rfc_9113s_code(data: bytes, code: ErrorCodes) -> None:
    assert Peer().goaway(data) == code


def test_frames_before_the_clients_settings_and_a_bad_preface_are_connection_errors() -> None:
    server = h2p.ServerConnection()
    with pytest.raises(h2p.ProtocolError):
        server.receive_data(b"GET / HTTP/1.1\r\n\r\n" + b"x" * 10)
    server = h2p.ServerConnection()
    with pytest.raises(h2p.ProtocolError) as raised:
        server.receive_data(h2p.PREFACE + frame(PING, 0, 0, b"12345678"))
    assert raised.value.error_code == ErrorCodes.PROTOCOL_ERROR


def test_reusing_a_lower_stream_id_is_stream_closed() -> None:
    peer = Peer()
    peer.headers(5, GET)
    block = peer.encoder.encode(GET)
    assert peer.goaway(frame(HEADERS, END_HEADERS | END_STREAM, 3, block)) == ErrorCodes.STREAM_CLOSED


def test_an_oversized_header_list_is_enhance_your_calm() -> None:
    peer = Peer(max_header_list_size=1024)
    block = peer.encoder.encode([*GET, ("x-big", "v" * 2000)])
    assert peer.goaway(frame(HEADERS, END_HEADERS | END_STREAM, 1, block)) == ErrorCodes.ENHANCE_YOUR_CALM


def test_send_windows_follow_window_updates_and_initial_window_settings() -> None:
    peer = Peer()
    peer.headers(1, GET)
    peer.server.send_headers(1, [(b":status", b"200")])
    assert peer.server.local_flow_control_window(1) == 65535
    peer.server.send_data(1, b"x" * 16384)
    peer.server.send_data(1, b"x" * 16384)
    peer.server.send_data(1, b"x" * 16384)
    peer.server.send_data(1, b"x" * 16383)
    assert peer.server.local_flow_control_window(1) == 0
    with pytest.raises(h2p.H2Error):
        peer.server.send_data(1, b"x")
    peer.send(frame(WINDOW_UPDATE, 0, 1, (100).to_bytes(4, "big")))
    assert peer.server.local_flow_control_window(1) == 0  # the connection's window is still spent
    peer.send(frame(WINDOW_UPDATE, 0, 0, (1000).to_bytes(4, "big")))
    assert peer.server.local_flow_control_window(1) == 100
    peer.send(frame(SETTINGS, 0, 0, b"\x00\x04" + (65535 + 50).to_bytes(4, "big")))
    assert peer.server.local_flow_control_window(1) == 150
    peer.send(frame(WINDOW_UPDATE, 0, 1, b"\x7f\xff\xff\xff"))
    assert rst(1, ErrorCodes.FLOW_CONTROL_ERROR) in peer.out()


def test_receive_windows_are_enforced_and_credited_back_in_batches() -> None:
    peer = Peer(initial_window=65535, connection_window=1 << 20)
    peer.out()
    post = [(":method", "POST"), (":scheme", "http"), (":path", "/p")]
    peer.headers(1, post, END_HEADERS)
    events = peer.send(frame(DATA, 0, 1, b"x" * 16000) * 2)
    for event in events:
        peer.server.acknowledge_received_data(event.flow_controlled_length, 1)  # type: ignore[union-attr]
    assert peer.out() == []  # under half a window: nothing to say yet
    events = peer.send(frame(DATA, 0, 1, b"x" * 16000))
    peer.server.acknowledge_received_data(16000, 1)
    assert peer.out() == [(WINDOW_UPDATE, 0, 1, (48000).to_bytes(4, "big"))]
    peer.headers(3, post, END_HEADERS)
    peer.send(frame(DATA, 0, 3, b"x" * 16000) * 4)
    assert peer.send(frame(DATA, 0, 3, b"x" * 16000))[-1] == h2p.StreamReset(
        3, ErrorCodes.FLOW_CONTROL_ERROR, remote=False
    )


def test_the_first_response_block_clears_the_peers_dynamic_table_for_us() -> None:
    peer = Peer()
    peer.headers(1, GET)
    peer.headers(3, GET)
    peer.server.send_headers(1, [(b":status", b"204")], end_stream=True)
    peer.server.send_headers(3, [(b":status", b"404")], end_stream=True)
    first, second = peer.out()
    assert first[3] == b"\x20\x89"
    assert second[3] == b"\x8d"
    decoder = hpack.Decoder()
    assert decoder.decode(first[3], raw=True) == [(b":status", b"204")]


def test_a_graceful_goaway_lets_streams_in_flight_finish_and_an_error_goaway_ends_all() -> None:
    peer = Peer()
    peer.headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/p")], END_HEADERS)
    events = peer.send(frame(GOAWAY, 0, 0, (0).to_bytes(4, "big") + (0).to_bytes(4, "big")))
    assert events == [h2p.ConnectionTerminated(0, 0)]
    assert [type(e).__name__ for e in peer.send(frame(DATA, END_STREAM, 1, b"late"))] == [
        "DataReceived",
        "StreamEnded",
    ]
    peer.server.send_headers(1, [(b":status", b"200")], end_stream=True)
    assert [kind for kind, *_ in peer.out()] == [HEADERS]
    peer.send(frame(GOAWAY, 0, 0, (0).to_bytes(4, "big") + (2).to_bytes(4, "big")))
    assert peer.send(frame(PING, 0, 0, b"12345678")) == []
