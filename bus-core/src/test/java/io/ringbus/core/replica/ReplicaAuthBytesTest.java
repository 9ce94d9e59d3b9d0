package io.ringbus.core.replica;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pins the bytes docs/replica-auth.md states: the handshake frame's offsets and the HMAC input. */
class ReplicaAuthBytesTest
{
    private static byte[] filled(final int length, final int first)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(first + i);
        }
        return bytes;
    }

    @Test
    void aHandshakeFrameHasTheDocumentedLayout()
    {
        final byte[] nonce = filled(32, 1);
        final byte[] mac = filled(32, 101);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        assertEquals(256, ReplicaAuth.write(buffer, 0, Command.PONG, ReplicaAuth.STEP_CHALLENGE, 2, 1, 0x0102L,
            0x0304L, nonce, mac));
        final byte[] frame = buffer.byteArray();
        final ByteBuffer le = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(new FrameCodec().isHeaderValid(buffer, 0), "header checksum");
        assertEquals(0, le.getInt(16), "checksum_body of the empty body");
        assertEquals(0x0304L, le.getLong(32), "cluster low half first");
        assertEquals(0x0102L, le.getLong(40));
        assertEquals(256, le.getInt(48));
        assertEquals(2, frame[60], "pong");
        assertEquals(2, frame[61], "sender");
        assertEquals("RBA1", new String(frame, 128, 4, StandardCharsets.US_ASCII));
        assertEquals(0x31414252, le.getInt(128));
        assertEquals(2, frame[132], "step");
        assertEquals(1, frame[133], "peer");
        assertArrayEquals(new byte[26], Arrays.copyOfRange(frame, 134, 160));
        assertArrayEquals(nonce, Arrays.copyOfRange(frame, 160, 192));
        assertArrayEquals(mac, Arrays.copyOfRange(frame, 192, 224));
        assertArrayEquals(new byte[32], Arrays.copyOfRange(frame, 224, 256));
        assertArrayEquals(new byte[66], Arrays.copyOfRange(frame, 62, 128), "header reserved");
    }

    @Test
    void theProofIsHmacSha256OverTheDocumentedInput() throws Exception
    {
        final byte[] key = filled(32, 7);
        final byte[] nonceDialer = filled(32, 40);
        final byte[] nonceAcceptor = filled(32, 80);
        final ByteBuffer input = ByteBuffer.allocate(100).order(ByteOrder.LITTLE_ENDIAN);
        input.put("ringbus-auth-v1".getBytes(StandardCharsets.US_ASCII)).put((byte)0);
        input.put((byte)'D').put((byte)3).put((byte)5).put((byte)0);
        input.putLong(0x1111L).putLong(0x2222L); // cluster: low, then high
        input.put(nonceDialer).put(nonceAcceptor);
        assertEquals(100, input.position());
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        final byte[] expected = mac.doFinal(input.array());

        final ReplicaAuth auth = new ReplicaAuth(key);
        final byte[] proof = new byte[32];
        auth.proof(ReplicaAuth.ROLE_DIALER, 3, 5, 0x2222L, 0x1111L, nonceDialer, nonceAcceptor, proof);
        assertArrayEquals(expected, proof);

        final byte[] acceptor = new byte[32];
        auth.proof(ReplicaAuth.ROLE_ACCEPTOR, 3, 5, 0x2222L, 0x1111L, nonceDialer, nonceAcceptor, acceptor);
        assertFalse(Arrays.equals(proof, acceptor), "the role separates the two proofs");
        input.put(16, (byte)'A');
        assertArrayEquals(mac.doFinal(input.array()), acceptor);
    }
}
