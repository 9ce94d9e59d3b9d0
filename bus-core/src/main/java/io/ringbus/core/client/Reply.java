package io.ringbus.core.client;

/**
 * A reply received by {@link BusClient}, copied out of the receive buffer.
 *
 * @param request     the request number it answers.
 * @param operation   the request's operation.
 * @param timestampNs the request's timestamp, carried back.
 * @param replica     the replica that sent it (255 if not a replica).
 * @param body        the reply body.
 */
public record Reply(long request, int operation, long timestampNs, int replica, byte[] body)
{
}
