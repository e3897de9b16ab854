"""The recognition web app: posted images, their readings and users' corrections.

Layout (thin views, logic in services):

- ``decoding``: turn the posted ``image`` (base64, data URL or file) into checked bytes;
- ``serializers``: input validation and the response shape;
- ``services``: save the image, call :func:`mathocr.recognize`, store the result;
- ``selectors``: the queries the views read through;
- ``apis``: the DRF views; ``views``: the drawing page;
- ``errors``: one JSON error shape for the API; ``parsers``: DRF's JSON parser, made safe;
- ``permissions`` (who is the poster: edit token or user), ``authentication`` (Basic auth
  answering 401), ``throttling`` (exact counts across workers), ``backends`` (failed logins).
"""
