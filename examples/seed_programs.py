"""Every program of the founding spec (D2L's "deep learning computation" chapter: layers and
blocks, parameter management, custom layers, reading and writing files), run unchanged on numtorch.

The programs are the spec's code blocks verbatim, with only the imports swapped
(``import torch`` -> ``import numtorch as torch``, ``from torch import nn`` -> ``from numtorch
import nn``, ``torch.nn.functional`` -> ``numtorch.nn.functional``). They run in order in one
namespace, as in a notebook, inside a temporary directory (the last section writes files).

    python examples/seed_programs.py            # every program and its output
    python examples/seed_programs.py --quiet    # outputs only, no code

The comments in the programs show the output torch printed when the notes were written; the
random values differ from run to run, the shapes, grad_fn names and structure do not.
"""
import contextlib
import os
import sys
import tempfile

# (section title, program) in the spec's order.
PROGRAMS = [
    ('层和块', r'''
import numtorch as torch
from numtorch import nn
from numtorch.nn import functional as F

net = nn.Sequential(nn.Linear(20, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))

X = torch.rand(2, 20)
print(net(X))
# tensor([[ 0.0819, -0.0157,  0.0066,  0.1114, -0.0334,  0.0681,  0.0723, -0.0512,
#          -0.0625, -0.0230],
#         [-0.0059, -0.1143,  0.1253,  0.1412,  0.0894,  0.1311,  0.0627, -0.0428,
#          -0.2419, -0.0045]], grad_fn=<AddmmBackward0>)
'''),
    ('自定义块', r'''
class MLP(nn.Module):
    # 用模型参数声明层。这里，我们声明两个全连接的层
    def __init__(self):
        # 调用MLP的父类Module的构造函数来执行必要的初始化。
        # 这样，在类实例化时也可以指定其他函数参数，例如模型参数params（稍后将介绍）
        super().__init__()
        self.hidden = nn.Linear(20, 256)  # 隐藏层
        self.out = nn.Linear(256, 10)  # 输出层

    # 定义模型的前向传播，即如何根据输入X返回所需的模型输出
    def forward(self, X):
        # 注意，这里我们使用ReLU的函数版本，其在nn.functional模块中定义。
        return self.out(F.relu(self.hidden(X)))


net = MLP()
print(net(X))
# tensor([[ 0.2562,  0.0372,  0.1668,  0.0516, -0.0890, -0.0652, -0.0237,  0.3862,
#           0.2786,  0.2802],
#         [ 0.2898,  0.1183,  0.1148,  0.0293,  0.1075, -0.0088, -0.1856,  0.3277,
#           0.1517,  0.2112]], grad_fn=<AddmmBackward0>)
'''),
    ('顺序块', r'''
class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            # 这里，module是Module子类的一个实例。我们把它保存在'Module'类的成员
            # 变量_modules中。_module的类型是OrderedDict
            self._modules[str(idx)] = module

    def forward(self, X):
        # OrderedDict保证了按照成员添加的顺序遍历它们
        for block in self._modules.values():
            X = block(X)
        return X


net = MySequential(nn.Linear(20, 256),
                   nn.ReLU(),
                   nn.Linear(256, 10))
print(net(X))
# tensor([[-0.1429, -0.2546, -0.0147,  0.0478, -0.0973, -0.0653,  0.0362,  0.1126,
#           0.2140,  0.0528],
#         [-0.1651, -0.4223,  0.0700,  0.0756,  0.1032, -0.1010,  0.2794,  0.0988,
#           0.0485,  0.0246]], grad_fn=<AddmmBackward0>)
'''),
    ('在前向传播函数中执行代码', r'''
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # 不计算梯度的随机权重参数。因此其在训练期间保持不变
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        # 使用创建的常量参数以及relu和mm函数
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        # 复用全连接层。这相当于两个全连接层共享参数
        X = self.linear(X)
        # 控制流
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


net = FixedHiddenMLP()
print(net(X))
# tensor(0.1110, grad_fn=<SumBackward0>)
'''),
    ('在前向传播函数中执行代码', r'''
class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


chimera = nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())
print(chimera(X))
# tensor(-0.3325, grad_fn=<SumBackward0>)
'''),
    ('参数管理', r'''
import numtorch as torch
from numtorch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
X = torch.rand(size=(2, 4))
print(net(X))
'''),
    ('访问参数', r'''
# 参数访问

print(net[2].state_dict())  # # 访问参数，net[2]就是最后一个输出层
# OrderedDict([('weight', tensor([[ 0.1890,  0.2337,  0.1736,  0.2461, -0.2516,  0.0174,  0.2657, -0.2497]])), ('bias', tensor([0.2529]))])
# 访问目标参数
print(type(net[2].bias))  # 访问bias参数类型
# <class 'torch.nn.parameter.Parameter'>
print(net[2].bias)  # 访问bias参数值
# Parameter containing:
# tensor([0.2826], requires_grad=True)
print(net[2].bias.data)  # 访问bias参数值，除去其他信息
# tensor([0.2826])
# 访问梯度
print(net[2].weight.grad == None)  # 由于还未进行反向传播，grad为None
# True


#  一次性访问所有参数

print(*[(name, param.shape) for name, param in net[0].named_parameters()])  # *表示解包
# ('weight', torch.Size([8, 4])) ('bias', torch.Size([8]))
print(*[(name, param.shape) for name, param in net.named_parameters()])  # 0是第一层名字，1是ReLU，它没有参数
# ('0.weight', torch.Size([8, 4])) ('0.bias', torch.Size([8])) ('2.weight', torch.Size([1, 8])) ('2.bias', torch.Size([1]))


print(net.state_dict()['2.bias'].data)  # 通过名字获取参数
# tensor([-0.3512])
'''),
    ('从嵌套块中获取参数', r'''
def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                         nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        # 在这里嵌套
        net.add_module(f'block {i}', block1())
    return net


rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
print(rgnet(X))
# tensor([[0.0103],
#         [0.0104]], grad_fn=<AddmmBackward0>)
'''),
    ('从嵌套块中获取参数', r'''
print(rgnet)
# Sequential(
#   (0): Sequential(
#     (block 0): Sequential(
#       (0): Linear(in_features=4, out_features=8, bias=True)
#       (1): ReLU()
#       (2): Linear(in_features=8, out_features=4, bias=True)
#       (3): ReLU()
#     )
#     (block 1): Sequential(
#       (0): Linear(in_features=4, out_features=8, bias=True)
#       (1): ReLU()
#       (2): Linear(in_features=8, out_features=4, bias=True)
#       (3): ReLU()
#     )
#     (block 2): Sequential(
#       (0): Linear(in_features=4, out_features=8, bias=True)
#       (1): ReLU()
#       (2): Linear(in_features=8, out_features=4, bias=True)
#       (3): ReLU()
#     )
#     (block 3): Sequential(
#       (0): Linear(in_features=4, out_features=8, bias=True)
#       (1): ReLU()
#       (2): Linear(in_features=8, out_features=4, bias=True)
#       (3): ReLU()
#     )
#   )
#   (1): Linear(in_features=4, out_features=1, bias=True)
# )
'''),
    ('从嵌套块中获取参数', r'''
print(rgnet[0][1][0].bias.data)
# tensor([0.2691, 0.0448, 0.3411, 0.2580, 0.2636, 0.2124, 0.2467, 0.1614])
'''),
    ('内置函数初始化', r'''
def init_normal(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)  # 下划线表示把m.weight的值替换掉
        nn.init.zeros_(m.bias)


net.apply(init_normal)  # 会递归调用 直到所有层都初始化
print(net[0].weight.data[0], net[0].bias.data[0])
# tensor([-0.0017, -0.0012,  0.0155,  0.0155]) tensor(0.)
'''),
    ('内置函数初始化', r'''
def init_constant(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


net.apply(init_constant)
print(net[0].weight.data[0])
print(net[0].bias.data[0])
# tensor([1., 1., 1., 1.])
# tensor(0.)
'''),
    ('内置函数初始化', r'''
def xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)


net[0].apply(xavier)
net[2].apply(init_42)
print(net[0].weight.data[0])
print(net[2].weight.data)
# tensor([-0.0078,  0.1388, -0.4263,  0.5073])
# tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])
'''),
    ('自定义初始化', r'''
def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])  # 打印名字是啥，形状是啥
        nn.init.uniform_(m.weight, -10, 10)  # 均匀分布初始化
        m.weight.data *= m.weight.data.abs() >= 5  # 大于5的权重乘以5 先判断是否大于等于5得到布尔矩阵


net.apply(my_init)
# Init weight torch.Size([8, 4])
# Init weight torch.Size([1, 8])
print(net[0].weight[:2])
# tensor([[-0.0000, 0.0000, 0.0000, 8.4138],
#         [-0.0000, 0.0000, 0.0000, 9.4350]], grad_fn=<SliceBackward0>)
'''),
    ('自定义初始化', r'''
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
print(net[0].weight.data[0])
# tensor([42.0000,  1.0000,  1.0000,  9.4138])
'''),
    ('参数绑定', r'''
# 我们需要给共享层一个名称，以便可以引用它的参数
shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                    shared, nn.ReLU(),
                    shared, nn.ReLU(),
                    nn.Linear(8, 1))
net(X)
# 检查参数是否相同
print(net[2].weight.data[0] == net[4].weight.data[0])
# tensor([True, True, True, True, True, True, True, True])
net[2].weight.data[0, 0] = 100
# 确保它们实际上是同一个对象，而不只是有相同的值
print(net[2].weight.data[0] == net[4].weight.data[0])
# tensor([True, True, True, True, True, True, True, True])
'''),
    ('自定义层', r'''
import numtorch as torch
import numtorch.nn.functional as F
from numtorch import nn
'''),
    ('不带参数的层', r'''
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(torch.FloatTensor([1, 2, 3, 4, 5])))
# tensor([-2., -1.,  0.,  1.,  2.])
'''),
    ('不带参数的层', r'''
net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
Y = net(torch.rand(4, 8))
print(Y.mean())
# tensor(1.8626e-09, grad_fn=<MeanBackward0>)
'''),
    ('带参数的层', r'''
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))  # nn.Parameter使得这些参数加上了梯度
        self.bias = nn.Parameter(torch.randn(units, ))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


dense = MyLinear(5, 3)
print(dense.weight)
# Parameter containing:
# tensor([[-1.2242,  0.7284,  0.7146],
#         [ 1.0319,  0.7506,  1.4014],
#         [ 0.8037,  1.3523,  0.2606],
#         [ 0.3087, -0.8171, -0.4299],
#         [-0.2361, -0.4604, -0.0679]], requires_grad=True)

# 使用自定义层直接执行正向传播计算
print(dense(torch.rand(2, 5)))
# tensor([[0.8832, 0.0000, 0.0000],
#         [1.0869, 0.0000, 0.0000]])
# 使用自定义层构建模型
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.rand(2, 64)))
# tensor([[1.7961],
#         [2.0545]])
'''),
    ('加载和保存张量', r'''
import numtorch as torch
from numtorch import nn
from numtorch.nn import functional as F

x = torch.arange(4)
torch.save(x, 'x-file')
'''),
    ('加载和保存张量', r'''
x2 = torch.load('x-file')
# tensor([0, 1, 2, 3])
'''),
    ('加载和保存张量', r'''
y = torch.zeros(4)
torch.save([x, y], 'x-files')
x2, y2 = torch.load('x-files')
print(x2, y2)
# tensor([0, 1, 2, 3]) tensor([0., 0., 0., 0.])
'''),
    ('加载和保存张量', r'''
mydict = {'x': x, 'y': y}
torch.save(mydict, 'mydict')
mydict2 = torch.load('mydict')
print(mydict2)
# {'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}
'''),
    ('加载和保存模型参数', r'''
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.output = nn.Linear(256, 10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


net = MLP()
X = torch.randn(size=(2, 20))
Y = net(X)
torch.save(net.state_dict(), 'mlp.params')
'''),
    ('加载和保存模型参数', r'''
# 实例化了原始多层感知机模型的一个备份。直接读取文件中存储的参数
clone = MLP()
clone.load_state_dict(torch.load('mlp.params'))
print(clone.eval())  # eval模式下，模型的dropout(丢弃法)层不会随机失活 即进入测试模式
# MLP(
#   (hidden): Linear(in_features=20, out_features=256, bias=True)
#   (output): Linear(in_features=256, out_features=10, bias=True)
# )

Y_clone = clone(X)
print(Y_clone == Y)
# tensor([[True, True, True, True, True, True, True, True, True, True],
#         [True, True, True, True, True, True, True, True, True, True]])
'''),
]
PROGRAMS = [(title, code.lstrip('\n')) for title, code in PROGRAMS]


def run(show_code=True, out=sys.stdout):
    """Run every program in order in one namespace; returns that namespace."""
    ns = {'__name__': '__seed__'}
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for i, (title, code) in enumerate(PROGRAMS, 1):
            print(f'=== [{i}/{len(PROGRAMS)}] {title} ===', file=out)
            if show_code:
                print(code, file=out)
                print('--- output ---', file=out)
            with contextlib.redirect_stdout(out):
                exec(compile(code, f'<seed program {i}: {title}>', 'exec'), ns)
            print(file=out)
    return ns


if __name__ == '__main__':
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    run(show_code='--quiet' not in sys.argv)
