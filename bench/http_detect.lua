-- bench/http_detect.lua - wrk script for bench/http.sh: POST /detect-face as a
-- multipart form (user_id + the photo in $FC_BENCH_PHOTO), the same body every time.
local path = os.getenv("FC_BENCH_PHOTO")
local f = assert(io.open(path, "rb"), "FC_BENCH_PHOTO: cannot open " .. tostring(path))
local photo = f:read("*all")
f:close()
local boundary = "----fcBenchBoundary3kLq9"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"user_id\"\r\n\r\nbench.user\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n" ..
    "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n" ..
    "--" .. boundary .. "--\r\n"

