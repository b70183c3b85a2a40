// Every error code the service answers with (REST `{"error": {"code"}}` and WebSocket
// `{"type": "error", "code"}`), in Korean. The server's English `message` is for logs and
// developers and never reaches the screen: an unknown code falls back to its HTTP status.
// The codes are exactly the registry's (service/covaex_service/error_codes.py; tests/ui/test_korean.py).

const BY_CODE = {
  // REST: the exception tree and Sanic's own 4xx (errors.py)
  internal: "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
  invalid_request: "입력한 내용을 다시 확인해 주세요.",
  unauthorized: "로그인이 필요해요. 다시 로그인해 주세요.",
  forbidden: "보안 확인에 실패했어요. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
  not_found: "찾을 수 없는 항목이에요.",
  conflict: "다른 요청과 겹쳤어요. 다시 시도해 주세요.",
  rate_limited: "요청이 너무 많아요. 잠시 후 다시 시도해 주세요.",
  unavailable: "지금은 서비스를 쓸 수 없어요. 잠시 후 다시 시도해 주세요.",
  method_not_allowed: "지원하지 않는 요청이에요.",
  payload_too_large: "보낸 내용이 너무 커요.",
  unsupported_media_type: "요청 형식이 올바르지 않아요. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
  cross_origin: "다른 사이트에서 온 요청은 받을 수 없어요. 이 페이지에서 다시 시도해 주세요.",
  busy: "지금 요청이 많아 처리하지 못했어요. 잠시 후 다시 시도해 주세요.",
  sync_id_reused: "관심 목록을 옮기는 중에 목록이 바뀌었어요. 다시 시도할게요.",
  // REST: specific codes
  username_taken: "이미 쓰이고 있는 아이디예요.",
  bad_credentials: "아이디 또는 비밀번호가 맞지 않아요.",
  unknown_symbol: "이 서비스에서 다루지 않는 코인이에요.",
  watchlist_full: "관심 목록이 가득 찼어요. 하나를 빼고 다시 담아 주세요.",
  unknown_interval: "지원하지 않는 차트 간격이에요.",
  // WebSocket gateway (error_codes.WebSocketCode; meanings in market/gateway/protocol.py ERROR_CODES)
  malformed_json: "실시간 시세 요청을 처리하지 못했어요.",
  invalid_message: "실시간 시세 요청을 처리하지 못했어요.",
  unknown_op: "실시간 시세 요청을 처리하지 못했어요.",
  too_many_symbols: "한 번에 볼 수 있는 코인 수를 넘었어요.",
};

const BY_STATUS = {
  0: "서버에 연결할 수 없어요. 인터넷 연결을 확인하고 다시 시도해 주세요.",
  400: BY_CODE.invalid_request,
  401: BY_CODE.unauthorized,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: BY_CODE.conflict,
  413: BY_CODE.payload_too_large,
  429: BY_CODE.rate_limited,
  503: BY_CODE.unavailable,
};

/** The Korean sentence for an error `code` (or, unknown, for its HTTP `status`). */
export function koreanError(code, status) {
  if (typeof code === "string" && Object.hasOwn(BY_CODE, code)) {
    return BY_CODE[code];
  }
  if (Object.hasOwn(BY_STATUS, status)) {
    return BY_STATUS[status];
  }
  return status >= 500 ? BY_CODE.internal : `요청을 처리하지 못했어요. (오류 ${status})`;
}

export const ERROR_CODES = Object.freeze(Object.keys(BY_CODE));
