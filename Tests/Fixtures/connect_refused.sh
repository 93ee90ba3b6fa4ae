#!/bin/bash
# A TCP connection to a closed port on 127.0.0.1, from this process itself: the socket goes
# through SYN_SENT to CLOSE, which the inet_sock_set_state tracepoint reports (socket_cookie).
exec 2>/dev/null
exec 3<>/dev/tcp/127.0.0.1/1
exit 0
