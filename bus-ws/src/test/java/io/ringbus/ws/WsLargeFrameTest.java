package io.ringbus.ws;

import io.ringbus.core.config.Backend;

/** Large frames on NIO (which writes at submission and moves the views' positions). */
class WsLargeFrameTest extends WsLargeFrameSuite
{
    @Override
    Backend backend()
    {
        return Backend.NIO;
    }
}
