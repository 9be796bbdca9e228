/** Items a stream or channel responder may send first when the REQUEST carries no `credit`. */
export const DEFAULT_INITIAL_CREDIT = 16
