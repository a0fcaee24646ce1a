/**
 * A unary call whose request stream ends without one whole message — the client sent nothing,
 * or a frame shorter than its length prefix said — is answered as grpc-go answers it: UNKNOWN
 * `unexpected EOF`. grpc-js answers UNIMPLEMENTED ("Received no request message"), which a
 * client reads as "the server lacks this method", not "your request was cut short". (etcd says
 * `EOF` when no byte came at all; grpc-js does not tell the two apart, so both are `unexpected
 * EOF` here.) Either way nothing is applied: the handler never runs.
 */
import * as grpc from '@grpc/grpc-js';

export const cutShortUnary: grpc.ServerInterceptor = (method, call) => {
  if (method.requestStream) return new grpc.ServerInterceptingCall(call);
  let received = false;
  const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, pass) => {
          received = true;
          pass(message);
        },
        onReceiveHalfClose: (pass) => {
          if (received) pass();
          else intercepting.sendStatus({ code: grpc.status.UNKNOWN, details: 'unexpected EOF' });
        },
      }),
  });
  return intercepting;
};
