package io.ringbus.ws;

import io.ringbus.core.frame.FrameError;
import io.ringbus.core.transport.CloseReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The close handshake's transitions (RFC 6455 5.5.1, 7.1), driven without a socket. */
class CloseHandshakeTest
{
    private final CloseHandshake close = new CloseHandshake();

    @Test
    void nothingToCloseBeforeTheUpgrade()
    {
        assertEquals(CloseHandshake.State.UPGRADING, close.state());
        assertFalse(close.canSendClose());
        assertThrows(IllegalStateException.class, () -> close.onCloseSent(CloseReason.LOCAL, null));
        close.onInputEnded();
        assertEquals(CloseHandshake.State.UPGRADING, close.state(), "a FIN before the upgrade: no WebSocket to close");
    }

    @Test
    void ourOrderlyCloseWaitsForThePeersAndEchoIsComplete()
    {
        close.onUpgraded();
        assertEquals(WebSocketCodec.CLOSE_GOING_AWAY, close.onCloseSent(CloseReason.SHUTDOWN, null));
        assertEquals(CloseHandshake.State.CLOSE_SENT, close.state());
        assertTrue(close.isCloseSent());
        assertFalse(close.isComplete(), "the peer's close is awaited");
        close.onPeerClose(WebSocketCodec.CLOSE_GOING_AWAY);
        assertEquals(CloseHandshake.State.CLOSED, close.state());
        assertTrue(close.isComplete());
        assertTrue(close.isPeerCloseReceived());
    }

    @Test
    void thePeersCloseIsEchoedWithItsCode()
    {
        close.onUpgraded();
        close.onPeerClose(4000);
        assertEquals(CloseHandshake.State.CLOSE_RECEIVED, close.state());
        assertTrue(close.canSendClose());
        assertEquals(4000, close.onCloseSent(CloseReason.PEER_CLOSED, null));
        assertEquals(CloseHandshake.State.CLOSED, close.state());
    }

    @Test
    void failingTheConnectionDoesNotWaitAndNamesTheRuleBroken()
    {
        close.onUpgraded();
        close.onViolation(WebSocketCodec.CLOSE_PROTOCOL_ERROR, "unmasked frame");
        assertEquals(CloseHandshake.State.PEER_GONE, close.state());
        final int code = close.onCloseSent(CloseReason.PROTOCOL_ERROR, null);
        assertEquals(WebSocketCodec.CLOSE_PROTOCOL_ERROR, code);
        assertEquals("unmasked frame", close.closeText(code));
        assertEquals(CloseHandshake.State.CLOSED_UNCLEAN, close.state());
        assertTrue(close.isComplete(), "RFC 6455 7.1.7: the peer's close need not be awaited");
    }

    @Test
    void aBadFrameClosesWithTooBigOrPolicyViolationWithoutWaiting()
    {
        close.onUpgraded();
        assertEquals(WebSocketCodec.CLOSE_MESSAGE_TOO_BIG, close.onCloseSent(CloseReason.PROTOCOL_ERROR, FrameError.SIZE_TOO_LARGE));
        assertEquals(CloseHandshake.State.CLOSED_UNCLEAN, close.state());
    }

    @Test
    void thePeersFinWhileWeWaitEndsTheWait()
    {
        close.onUpgraded();
        close.onCloseSent(CloseReason.IDLE_TIMEOUT, null);
        close.onInputEnded();
        assertEquals(CloseHandshake.State.CLOSED_UNCLEAN, close.state());
        assertFalse(close.isPeerCloseReceived(), "a bare FIN is not an orderly close");
    }
}
