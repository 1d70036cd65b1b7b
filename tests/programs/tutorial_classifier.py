"""In the style of the PyTorch "Training a Classifier" and "Datasets & DataLoaders" tutorials:
a custom Dataset with a transform, DataLoader, a small CNN, CrossEntropyLoss + SGD with momentum,
the running-loss print loop, accuracy with torch.max(outputs.data, 1), save/load of the weights.
Synthetic 3x16x16 images stand in for CIFAR-10. Written for PyTorch; the test suite runs it with
its torch imports pointed at numtorch."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset

classes = ('plane', 'car', 'bird', 'cat')


class Normalize(object):
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, img):
        return (img - self.mean) / self.std


class ToyImages(Dataset):
    def __init__(self, n, seed, transform=None, target_transform=None):
        rng = np.random.default_rng(seed)
        self.images = rng.random((n, 16, 16, 3), dtype=np.float32)
        self.labels = rng.integers(0, len(classes), n)
        for i, c in enumerate(self.labels):
            self.images[i, :, :, c % 3] += 0.5 * (c // 3 + 1)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = torch.from_numpy(self.images[idx]).permute(2, 0, 1)   # HWC -> CHW
        label = int(self.labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 24)
        self.fc2 = nn.Linear(24, 16)
        self.fc3 = nn.Linear(16, len(classes))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def make_loaders(batch_size=4, shuffle=True):
    transform = Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    trainset = ToyImages(32, 0, transform=transform)
    testset = ToyImages(16, 1, transform=transform)
    trainloader = DataLoader(trainset, batch_size=batch_size, shuffle=shuffle, num_workers=0)
    testloader = DataLoader(testset, batch_size=batch_size, shuffle=False, num_workers=0)
    return trainloader, testloader


def train(net, trainloader, epochs=1, max_steps=None):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            if max_steps is not None and len(losses) >= max_steps:
                break
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
            if i % 4 == 3:
                print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 4:.3f}')
                running_loss = 0.0
    print('Finished Training')
    return losses


def evaluate(net, testloader):
    correct = 0
    total = 0
    correct_pred = {classname: 0 for classname in classes}
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            for label, prediction in zip(labels, predicted):
                if label == prediction:
                    correct_pred[classes[label]] += 1
    print(f'Accuracy of the network on the test images: {100 * correct // total} %')
    return correct, correct_pred


def main(path=None):
    torch.manual_seed(0)
    trainloader, testloader = make_loaders()
    dataiter = iter(trainloader)
    images, labels = next(dataiter)
    print(' '.join(f'{classes[labels[j]]:5s}' for j in range(4)), tuple(images.shape))
    net = Net()
    losses = train(net, trainloader, epochs=2)
    if path:
        torch.save(net.state_dict(), path)
        net = Net()
        net.load_state_dict(torch.load(path, weights_only=True))
    evaluate(net, testloader)
    return net, losses


if __name__ == '__main__':
    main()
