"""The recognition web app: posted images, their readings and users' corrections.

Layout (thin views, logic in services):

- ``decoding``: turn the posted ``image`` (base64, data URL or file) into checked bytes;
- ``serializers``: input validation and the response shape;
- ``services``: save the image, call :func:`mathocr.recognize`, store the result;
- ``selectors``: the queries the views read through;
- ``apis``: the DRF views; ``views``: the drawing page.
"""
