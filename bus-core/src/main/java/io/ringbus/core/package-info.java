/** Ringbus core: frame codec, configuration, shard runtime, planes and SDK. */
package io.ringbus.core;
